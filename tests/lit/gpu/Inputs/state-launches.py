"""usage: state-launches.py FILE.mlir

For `frond compile --target=cuda --emit=gpu --train-step`: how many kernel
launches of @<model>_train_step touch each optimizer-state argument (named
`<state>:<parameter>`), and whether that launch also writes its parameter.
With the update fused into one loop nest computed in the arguments'
buffers, every state argument is in exactly one launch, its parameter's.
Prints the argument, launch count and parameter check of any state that
differs, then a summary."""
import re
import sys

text = open(sys.argv[1]).read()
func = re.search(r'func\.func @\w+_train_step\((.*?)\) ->', text)
if not func:
    sys.exit("no @<model>_train_step in " + sys.argv[1])
arg_of = {name: arg for arg, name in
          re.findall(r'(%arg\d+): memref<[^>]*> \{frond\.name = "([^"]+)"', func.group(1))}
body = text[func.end():]
launch_args = [set(re.findall(r'(%\w+) : ', args))
               for args in re.findall(r'gpu\.launch_func .*? args\((.*)\)', body)]
states = [name for name in arg_of if ':' in name]
odd = 0
for name in states:
    param = arg_of.get(name.split(':', 1)[1])
    touching = [a for a in launch_args if arg_of[name] in a]
    with_param = all(param in a for a in touching)
    if len(touching) != 1 or not with_param:
        odd += 1
        print(f"{name}: {len(touching)} launches, parameter in each: {with_param}")
print(f"{len(states)} state arguments, {odd} not in exactly one launch with their parameter")
