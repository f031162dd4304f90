#!/usr/bin/env bash
# Packs saturn's non-torch build dependencies as extracted Debian packages,
# for a GPU machine that has LibTorch 2.x + CUDA (e.g. from a PyTorch
# install), a compiler and CMake, but no package registry. Run it on a Debian
# 12 machine with apt; carry the folder to the GPU machine and run
# scripts/gpu/build.sh there.
# Usage: scripts/gpu/bundle-deps.sh [DIR]     (default: .gpu-deps)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-.gpu-deps}
# Headers, CMake/pkg-config files and the shared libraries they need, named
# one by one (the recursive closure drags in every BLAS alternative: 500 MB).
# Not libc/libstdc++/zlib (every machine has them) and not torch.
pkgs=(libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev libfmt-dev libfmt9 catch2 nlohmann-json3-dev
      libsqlite3-dev libsqlite3-0
      coinor-libcbc-dev coinor-libcbc3 coinor-libcgl-dev coinor-libcgl1 coinor-libclp-dev coinor-libclp1
      coinor-libosi-dev coinor-libosi1v5 coinor-libcoinutils-dev coinor-libcoinutils3v5
      libbz2-dev libblas3 liblapack3 libgfortran5 libquadmath0 libbz2-1.0)
rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
(cd "$dir/debs" && apt-get download "${pkgs[@]}" >/dev/null)
for f in "$dir"/debs/*.deb; do dpkg-deb -x "$f" "$dir/root"; done
rm -rf "$dir/debs" "$dir/root/usr/share/doc" "$dir/root/usr/share/man" "$dir/root/usr/share/lintian"
# Debian reaches the reference BLAS/LAPACK through update-alternatives links
# that dpkg-deb -x does not make: make them.
lib="$dir/root/usr/lib/x86_64-linux-gnu"
for l in blas/libblas lapack/liblapack; do
  ln -sfn "$l.so.3" "$lib/$(basename $l).so.3"
  ln -sfn "$(basename $l).so.3" "$lib/$(basename $l).so"
done
find "$dir/root" -name '*.a' -delete   # shared libraries are enough: 21 MB less
# pkg-config files say prefix=/usr: make them relative to where they lie.
while IFS= read -r pc; do
  up=$(realpath --relative-to="$(dirname "$pc")" "$dir/root/usr")
  sed -i -e "s|^prefix=/usr\$|prefix=\${pcfiledir}/$up|" -e 's|=/usr/|=${prefix}/|' "$pc"
done < <(find "$dir/root" -name '*.pc')
# Absolute symlinks inside the packages (lib.so -> /usr/lib/...) point into
# the tree instead, so nothing resolves to the GPU machine's own /usr.
root=$(cd "$dir/root" && pwd)
while IFS= read -r link; do
  target=$(readlink "$link")
  case "$target" in /*) ln -sfn "$root$target" "$link" ;; esac
done < <(find "$dir/root" -type l)
find "$dir/root" -type l | while IFS= read -r link; do
  t=$(readlink "$link"); case "$t" in "$root"/*) ln -sfn "$(realpath --relative-to="$(dirname "$link")" "$t")" "$link" ;; esac
done
cat > "$dir/env.sh" <<'ENV'
# Source this on the GPU machine: CMake, pkg-config and the loader find the
# extracted packages beside it.
_saturn_deps=$(cd "$(dirname "${BASH_SOURCE[0]}")/root/usr" && pwd)
export CMAKE_PREFIX_PATH="$_saturn_deps${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export PKG_CONFIG_PATH="$_saturn_deps/lib/x86_64-linux-gnu/pkgconfig:$_saturn_deps/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$_saturn_deps/lib/x86_64-linux-gnu:$_saturn_deps/../lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LIBRARY_PATH="$_saturn_deps/lib/x86_64-linux-gnu${LIBRARY_PATH:+:$LIBRARY_PATH}"
unset _saturn_deps
ENV
echo "bundle-deps: ${#pkgs[@]} packages in $dir ($(du -sh "$dir" | cut -f1)): ${pkgs[*]}"
