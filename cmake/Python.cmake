# SATURN_PYTHON (cache): the Python environment whose wheels bring the C++
# libraries saturn links (PyTorch's LibTorch, pyarrow's Arrow and Parquet).
# Default: the environment variable SATURN_PYTHON, else the project's virtual
# environment that scripts/setup.sh makes ($SATURN_VENV, default
# $XDG_CACHE_HOME/saturn/venv, i.e. ~/.cache/saturn/venv).
include_guard(GLOBAL)
if(DEFINED ENV{SATURN_PYTHON} AND NOT "$ENV{SATURN_PYTHON}" STREQUAL "")
  set(_saturn_python_default "$ENV{SATURN_PYTHON}")
else()
  if(DEFINED ENV{SATURN_VENV} AND NOT "$ENV{SATURN_VENV}" STREQUAL "")
    set(_saturn_venv "$ENV{SATURN_VENV}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_saturn_venv "$ENV{XDG_CACHE_HOME}/saturn/venv")
  else()
    set(_saturn_venv "$ENV{HOME}/.cache/saturn/venv")
  endif()
  set(_saturn_python_default "${_saturn_venv}/bin/python")
endif()
set(SATURN_PYTHON "${_saturn_python_default}" CACHE FILEPATH "python whose packages provide LibTorch and Arrow C++")
