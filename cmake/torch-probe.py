"""Prints what saturn's build needs to know about a Python environment's
PyTorch, one `key=value` per line: version, C++ ABI, CUDA version, where its
CMake files and libraries lie, and the CUDA runtime and NCCL libraries it
loads (read from /proc/self/maps after `import torch`, so the build links
the very copies torch runs with). Run by cmake/Torch.cmake and
scripts/lib/env.sh; exits 1 with one line on stderr when torch is missing.
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
try:
    import torch
    import torch.utils
except Exception as e:  # ImportError, or a broken install
    print(f"cannot import torch with {sys.executable}: {e}".splitlines()[0], file=sys.stderr)
    sys.exit(1)


def loaded(stem):
    """The path of a loaded shared library whose file name starts with stem."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if os.path.basename(path).startswith(stem + ".so"):
                    return os.path.realpath(path)
    except OSError:
        pass
    return ""


cuda = torch.version.cuda or ""
nccl = ""
if cuda:
    try:
        nccl = ".".join(str(v) for v in torch.cuda.nccl.version())
    except Exception:
        nccl = ""
print(f"version={torch.__version__.split('+')[0]}")
print(f"full_version={torch.__version__}")
print(f"cxx11_abi={int(torch._C._GLIBCXX_USE_CXX11_ABI)}")
print(f"cmake_prefix={torch.utils.cmake_prefix_path}")
print(f"root={os.path.dirname(torch.__file__)}")
print(f"cuda={cuda}")
print(f"nccl={nccl}")
print(f"cudart={loaded('libcudart') if cuda else ''}")
print(f"nccl_lib={loaded('libnccl') if cuda else ''}")
print(f"nvrtc={loaded('libnvrtc') if cuda else ''}")
