"""Assembles every kernel of `frond compile --emit=ptx` output with ptxas.

usage: ptxas-each.py PTXAS ARCH FILE
The file holds one PTX module per `// gpu.binary @name` line. Each is
written to a temporary file and assembled with `PTXAS -arch=ARCH`; prints
`ptxas ok: N kernels` or the first failure (exit 1).
"""
import os
import subprocess
import sys
import tempfile

ptxas, arch, path = sys.argv[1:4]
modules, name = [], None
for line in open(path):
    if line.startswith("// gpu.binary @"):
        name = line.split("@", 1)[1].strip()
        modules.append((name, []))
    elif modules:
        modules[-1][1].append(line)
if not modules:
    sys.exit("no '// gpu.binary' module in " + path)
with tempfile.TemporaryDirectory() as tmp:
    for name, lines in modules:
        src = os.path.join(tmp, name + ".ptx")
        with open(src, "w") as f:
            f.writelines(lines)
        r = subprocess.run([ptxas, "-arch=" + arch, src, "-o", os.devnull],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("ptxas failed on @%s:\n%s" % (name, r.stderr))
print("ptxas ok: %d kernels" % len(modules))
