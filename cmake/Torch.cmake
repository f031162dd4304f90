# LibTorch from a Python environment's PyTorch: the only LibTorch saturn
# builds against (lib/train and the torch tests link it).
#
# In:  SATURN_PYTHON (cmake/Python.cmake): the python whose `torch` is used.
# Out: TORCH_LIBRARIES, TORCH_CXX_FLAGS (find_package(Torch));
#      SATURN_TORCH_VERSION; SATURN_TORCH_CUDA (ON when torch has CUDA);
#      SATURN_NCCL_LIBRARY / SATURN_NCCL_INCLUDE_DIR (the NCCL torch loads).
# Supported: torch 2.4 .. 2.15 built with the C++11 std::string ABI (every
# PyPI wheel from 2.7 on), like every other library saturn links. A torch
# with CUDA needs a CUDA toolkit (nvcc, headers) of the same major version;
# the CUDA runtime and NCCL libraries linked are the very files torch loads,
# so one copy of each is in a saturn process.
set(SATURN_TORCH_MIN 2.4)
set(SATURN_TORCH_MAX 2.15)

include(${CMAKE_CURRENT_LIST_DIR}/Python.cmake)

execute_process(
  COMMAND "${SATURN_PYTHON}" "${CMAKE_CURRENT_LIST_DIR}/torch-probe.py"
  OUTPUT_VARIABLE _probe ERROR_VARIABLE _probe_err RESULT_VARIABLE _probe_rc
  ERROR_STRIP_TRAILING_WHITESPACE)
if(NOT _probe_rc EQUAL 0)
  if(_probe_err STREQUAL "")
    set(_probe_err "${SATURN_PYTHON} does not run")
  endif()
  message(FATAL_ERROR "saturn: no usable PyTorch: ${_probe_err}; run scripts/setup.sh, or set "
                      "SATURN_PYTHON to a python with torch ${SATURN_TORCH_MIN} .. ${SATURN_TORCH_MAX}")
endif()
string(REPLACE "\n" ";" _probe "${_probe}")
foreach(_line IN LISTS _probe)
  if(_line MATCHES "^([a-z_0-9]+)=(.*)$")
    set(_torch_${CMAKE_MATCH_1} "${CMAKE_MATCH_2}")
  endif()
endforeach()

string(REGEX MATCH "^[0-9]+\\.[0-9]+" _torch_minor "${_torch_version}")
if(_torch_minor VERSION_LESS SATURN_TORCH_MIN OR _torch_minor VERSION_GREATER SATURN_TORCH_MAX)
  message(FATAL_ERROR "saturn: torch ${_torch_full_version} (${SATURN_PYTHON}) is outside the supported range "
                      "${SATURN_TORCH_MIN} .. ${SATURN_TORCH_MAX}; run scripts/setup.sh for the pinned one")
endif()
if(NOT _torch_cxx11_abi STREQUAL "1")
  message(FATAL_ERROR "saturn: torch ${_torch_full_version} (${SATURN_PYTHON}) uses the old std::string ABI; "
                      "saturn's other libraries use the C++11 one: use a PyPI torch >= 2.7 or a cxx11-abi LibTorch")
endif()
set(SATURN_TORCH_VERSION "${_torch_version}")

set(SATURN_TORCH_CUDA OFF)
if(NOT _torch_cuda STREQUAL "")
  set(SATURN_TORCH_CUDA ON)
  # The CUDA runtime and NVRTC that torch loads, not the toolkit's copies.
  if(_torch_cudart AND NOT CUDA_cudart_LIBRARY)
    set(CUDA_cudart_LIBRARY "${_torch_cudart}" CACHE FILEPATH "CUDA runtime (torch's)")
  endif()
  if(_torch_nvrtc AND NOT CUDA_nvrtc_LIBRARY)
    set(CUDA_nvrtc_LIBRARY "${_torch_nvrtc}" CACHE FILEPATH "NVRTC (torch's)")
  endif()
  if(NOT TORCH_CUDA_ARCH_LIST)
    set(TORCH_CUDA_ARCH_LIST "8.0;9.0" CACHE STRING "saturn compiles no CUDA kernels; set to skip GPU detection")
  endif()
  find_program(_saturn_nvcc nvcc HINTS "$ENV{CUDA_HOME}/bin" "$ENV{CUDAToolkit_ROOT}/bin" /usr/local/cuda/bin)
  if(NOT _saturn_nvcc)
    message(FATAL_ERROR "saturn: torch ${_torch_full_version} is built with CUDA ${_torch_cuda} and its CMake files "
                        "need a CUDA toolkit (nvcc), but none was found: install CUDA ${_torch_cuda} (or the same "
                        "major version) and put nvcc on PATH, or set CUDA_HOME")
  endif()
endif()

# The torch package's own lib/ first, so no other LibTorch on the system
# (for example Debian's libtorch-dev) is picked up half-way.
list(PREPEND CMAKE_PREFIX_PATH "${_torch_root}" "${_torch_cmake_prefix}")
find_package(Torch REQUIRED)
if(NOT TORCH_LIBRARY MATCHES "^${_torch_root}/")
  message(FATAL_ERROR "saturn: CMake found ${TORCH_LIBRARY}, not the LibTorch of ${SATURN_PYTHON} (${_torch_root})")
endif()

if(SATURN_TORCH_CUDA)
  string(REGEX MATCH "^[0-9]+" _torch_cuda_major "${_torch_cuda}")
  string(REGEX MATCH "^[0-9]+" _toolkit_major "${CUDAToolkit_VERSION}")
  if(NOT _torch_cuda_major STREQUAL _toolkit_major)
    message(FATAL_ERROR "saturn: torch is built with CUDA ${_torch_cuda}, the CUDA toolkit found is "
                        "${CUDAToolkit_VERSION} (${CUDAToolkit_BIN_DIR}): their major versions must agree")
  endif()
  # NCCL: the library torch loads, with the header that ships beside it (the
  # PyPI wheel's nvidia/nccl), else the toolkit's header.
  set(SATURN_NCCL_LIBRARY "${_torch_nccl_lib}")
  get_filename_component(_nccl_dir "${_torch_nccl_lib}" DIRECTORY)
  find_path(SATURN_NCCL_INCLUDE_DIR nccl.h HINTS "${_nccl_dir}/../include" ${CUDAToolkit_INCLUDE_DIRS} NO_DEFAULT_PATH)
  set(_nccl_header "")
  if(SATURN_NCCL_INCLUDE_DIR)
    file(STRINGS "${SATURN_NCCL_INCLUDE_DIR}/nccl.h" _nccl_defs REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) ")
    foreach(_d IN LISTS _nccl_defs)
      string(REGEX REPLACE "^#define NCCL_[A-Z]+ +([0-9]+).*" "\\1" _v "${_d}")
      list(APPEND _nccl_header "${_v}")
    endforeach()
    string(REPLACE ";" "." _nccl_header "${_nccl_header}")
  endif()
  message(STATUS "saturn: torch ${_torch_full_version} (${SATURN_PYTHON}); CUDA ${_torch_cuda} runtime "
                 "${CUDA_cudart_LIBRARY}, toolkit ${CUDAToolkit_VERSION} headers; NCCL ${_torch_nccl} "
                 "${SATURN_NCCL_LIBRARY}, header ${_nccl_header} (${SATURN_NCCL_INCLUDE_DIR})")
  if(NOT SATURN_NCCL_LIBRARY OR NOT _nccl_header STREQUAL _torch_nccl)
    message(STATUS "saturn: NCCL library and header versions differ (or one is missing): NCCL backend off")
    set(SATURN_NCCL_LIBRARY "")
  endif()
else()
  message(STATUS "saturn: torch ${_torch_full_version} (${SATURN_PYTHON}), CPU only: no CUDA, no NCCL backend")
endif()
