# ccache settings for a build of this checkout (sourced by scripts/build.sh and
# scripts/fuzz.sh from the checkout's root; CMake uses ccache as the compiler
# launcher where it is installed).
# ccache: paths relative to the checkout and the build folder left out of the
# hash (a fresh clone elsewhere, as in CI, still hits the cache; its debug
# info then names the first checkout's folder), and the precompiled headers
# cacheable.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
# Each precompiled LibTorch header is a ~135 MB cache entry; ccache trims each
# of its 16 folders to a 16th of max_size, so at the default 5 GB it evicts
# them, and every LibTorch unit (compiled against the header's new bytes)
# misses. 12 GB, unless the user has set a size.
if command -v ccache >/dev/null && ccache -p 2>/dev/null | grep -q '^(default) max_size'; then
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-12G}
fi
