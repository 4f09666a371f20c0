#!/usr/bin/env bash
# The project's formatter and format check: rustfmt on every .rs file git tracks or would
# track (new files count before `git add`; ignored ones, like target/, do not).
# `cargo fmt` only reaches the files it finds through `mod` lines, and the modules of the
# one-file-per-op folders (src/kernels/, src/model/graph/ops/, tests/kernels/,
# benches/kernels/) are declared in files build.rs writes (build/modules.rs), which it
# cannot see; so it would leave them unformatted and unchecked.
#
#   scripts/fmt.sh           format every file in place
#   scripts/fmt.sh --check   print the diff of each file that is not formatted; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.rs')
if [ ${#files[@]} = 0 ]; then
    echo "scripts/fmt.sh: git lists no .rs file here; run it in a git checkout" >&2
    exit 2
fi
# The edition every package here uses (Cargo.toml, web/, fuzz/): rustfmt alone assumes 2015.
exec rustfmt --edition 2021 "$@" "${files[@]}"
