# Sourced by the scripts: where saturn's Python environment is.
#   SATURN_PYTHON  a python whose torch saturn builds against (a user's own
#                  environment); when unset, the project's virtual environment:
#   SATURN_VENV    that environment's folder (default $XDG_CACHE_HOME/saturn/venv,
#                  i.e. ~/.cache/saturn/venv), made by scripts/setup.sh.
# cmake/Torch.cmake applies the same rule when CMake runs on its own.
saturn_venv=${SATURN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/saturn/venv}
saturn_python=${SATURN_PYTHON:-$saturn_venv/bin/python}
