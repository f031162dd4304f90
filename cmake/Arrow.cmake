# Apache Arrow and Parquet C++ from a Python environment's pyarrow wheel (its
# C++ libraries and headers, as the torch wheel brings LibTorch): what
# lib/tokenize/records reads parquet files and Arrow IPC files (a Hugging
# Face datasets save_to_disk folder) with.
#
# In:  SATURN_PYTHON (cmake/Python.cmake).
# Out: imported targets saturn::arrow and saturn::parquet (the wheel's
#      libarrow.so.N and libparquet.so.N, its include folder);
#      SATURN_ARROW_VERSION. Supported: pyarrow 26 and newer (the C++ API
#      used is that of Arrow 26).
include(${CMAKE_CURRENT_LIST_DIR}/Python.cmake)
set(SATURN_ARROW_MIN 26)

execute_process(
  COMMAND "${SATURN_PYTHON}" -c
    "import pyarrow as pa; print(pa.__version__); print(pa.get_include()); print(pa.get_library_dirs()[0])"
  OUTPUT_VARIABLE _arrow_probe ERROR_VARIABLE _arrow_err RESULT_VARIABLE _arrow_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
if(NOT _arrow_rc EQUAL 0)
  string(REGEX REPLACE ".*\n" "" _arrow_err "${_arrow_err}")
  message(FATAL_ERROR "saturn: no pyarrow in ${SATURN_PYTHON} (${_arrow_err}): saturn reads parquet and Arrow "
                      "data with its C++ libraries; run scripts/setup.sh, or pip install 'pyarrow>=${SATURN_ARROW_MIN}' there")
endif()
string(REPLACE "\n" ";" _arrow_probe "${_arrow_probe}")
list(GET _arrow_probe 0 SATURN_ARROW_VERSION)
list(GET _arrow_probe 1 _arrow_include)
list(GET _arrow_probe 2 _arrow_libdir)
string(REGEX MATCH "^[0-9]+" _arrow_major "${SATURN_ARROW_VERSION}")
if(_arrow_major LESS SATURN_ARROW_MIN)
  message(FATAL_ERROR "saturn: pyarrow ${SATURN_ARROW_VERSION} (${SATURN_PYTHON}) is older than ${SATURN_ARROW_MIN}; "
                      "run scripts/setup.sh for the pinned one")
endif()

# The wheel ships each library under its SONAME only (libarrow.so.2600).
foreach(_lib arrow parquet)
  file(GLOB _found "${_arrow_libdir}/lib${_lib}.so.[0-9]*")
  list(FILTER _found EXCLUDE REGEX "\\.so\\.[0-9]+\\.")
  list(LENGTH _found _n)
  if(NOT _n EQUAL 1)
    message(FATAL_ERROR "saturn: expected one lib${_lib}.so.N in ${_arrow_libdir} (pyarrow ${SATURN_ARROW_VERSION}), found: ${_found}")
  endif()
  add_library(saturn::${_lib} SHARED IMPORTED GLOBAL)
  set_target_properties(saturn::${_lib} PROPERTIES IMPORTED_LOCATION "${_found}" IMPORTED_NO_SONAME OFF
                                                  INTERFACE_INCLUDE_DIRECTORIES "${_arrow_include}")
endforeach()
set_property(TARGET saturn::parquet APPEND PROPERTY INTERFACE_LINK_LIBRARIES saturn::arrow)
message(STATUS "saturn: Arrow C++ ${SATURN_ARROW_VERSION} from pyarrow (${_arrow_libdir})")
