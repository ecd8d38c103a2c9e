"""usage: launch-params.py FILE.mlir

For host code lowered with lower-host=true: every gpu.launch_func must pass
as many arguments as its kernel's PTX entry declares parameters (the launch
packs one pointer per argument; the driver reads as many as the PTX says).
Prints one line per mismatch and a summary."""
import re
import sys

text = open(sys.argv[1]).read()
params = {}
for name, ptx in re.findall(r'gpu\.binary @(\w+)\s+\[#gpu\.object<.*?assembly = "(.*?)">\]', text):
    for entry, plist in re.findall(r'\.entry (\w+)\(\\0A(.*?)\\0A\)', ptx):
        params[(name, entry)] = plist.count(".param")
launches = 0
launched = set()
bad = 0
for module, kernel, args in re.findall(
        r'gpu\.launch_func\s+(?:<[^>]*>\s+)?@(\w+)::@(\w+) .*? args\((.*)\)', text):
    launches += 1
    launched.add((module, kernel))
    count = len(re.findall(r'%\w+ : ', args))
    want = params.get((module, kernel))
    if want != count:
        bad += 1
        print(f"{module}::{kernel}: {count} arguments, PTX declares {want}")
print(f"{launches} launches of {len(launched)} kernels, {len(params)} kernels in PTX, "
      f"{bad} mismatched")
