"""Counts, in the host code of `frond compile --target=cuda --emit=gpu`, the
kernel launches nested in host scf.for loops (one launch per iteration) and
the memref.copy ops into whole buffers (a filled accumulator copied on the
host, over managed memory); copies into subviews (concat) are not counted;
and every memref.load, memref.store and memref.copy in host code (the host
touching a buffer, which then has to be managed memory)."""
import re
import sys

launches_in_loops = 0
whole_copies = 0
host_accesses = 0
open_fors = []  # indentation of each enclosing scf.for
kernel_module = None  # indentation of the gpu.module being skipped
for line in open(sys.argv[1]):
    text = line.strip()
    indent = len(line) - len(line.lstrip())
    if kernel_module is not None:
        if text == "}" and indent == kernel_module:
            kernel_module = None
        continue
    if text.startswith("gpu.module"):
        kernel_module = indent
        continue
    if re.match(r"(%[\w#:]+ = )?memref\.(load|store|copy) ", text):
        host_accesses += 1
    while open_fors and text.startswith("}") and indent <= open_fors[-1]:
        open_fors.pop()
        break
    if text.startswith("scf.for"):
        open_fors.append(indent)
    elif text.startswith("gpu.launch_func") and open_fors:
        launches_in_loops += 1
    elif text.startswith("memref.copy") and not re.search(r", %subview", text):
        whole_copies += 1
print(f"launches in host loops: {launches_in_loops}")
print(f"copies into whole buffers: {whole_copies}")
print(f"host loads, stores and copies: {host_accesses}")
