#!/usr/bin/env bash
# What a person gets from `pip install`: the tree installed as `pip install .` does, and its sdist,
# each into a fresh virtual environment (not editable); then, from a folder outside the checkout,
# list the models, generate, and open the writer in a real terminal (tmux) until its candidates
# show, and quit.
set -euo pipefail
checkout=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'tmux -L storyteller-ci kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

# A clean copy of the tree (what git tracks, and new files it does not ignore): a checkout's build
# leftovers (an editable install's egg-info) can hide a package the configuration leaves out.
source_tree="$work/source"
mkdir "$source_tree"
(cd "$checkout" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$source_tree")

python3 -m venv "$work/build-env"
"$work/build-env/bin/pip" install --quiet build
"$work/build-env/bin/python" -m build --sdist --quiet --outdir "$work/dist" "$source_tree" >/dev/null

open_writer() {  # $1: the environment's bin folder; run from an empty folder with its own data dir
    local bin=$1 home
    home=$(mktemp -d "$work/home.XXXX")
    tmux -L storyteller-ci new-session -d -s ci -c "$home" -x 80 -y 24 \
        "STORYTELLER_DATA_DIR='$home/data' '$bin/storyteller'; echo \$? >'$home/exit'; sleep 30"
    for _ in $(seq 300); do
        shown=$(tmux -L storyteller-ci capture-pane -t ci -p)
        if grep -q "Next word" <<<"$shown" && grep -Eq "[0-9]%" <<<"$shown"; then break; fi
        if [[ -e $home/exit ]]; then break; fi
        sleep 0.1
    done
    if ! grep -q "Next word" <<<"$shown" || ! grep -Eq "[0-9]%" <<<"$shown"; then
        echo "the installed writer did not reach its candidates; the screen shows:" >&2
        echo "$shown" >&2
        return 1
    fi
    tmux -L storyteller-ci send-keys -t ci C-q
    for _ in $(seq 200); do [[ -e $home/exit ]] && break; sleep 0.1; done
    tmux -L storyteller-ci kill-server 2>/dev/null || true
    if [[ "$(cat "$home/exit" 2>/dev/null)" != 0 ]]; then
        echo "the installed writer did not quit cleanly" >&2
        return 1
    fi
}

# `pip install .` as a person types it (with the newest Textual allowed), and the sdist as an index
# would serve it, with the oldest Textual that pyproject.toml allows.
oldest_textual=$(grep -o '"textual>=[0-9.]*' "$checkout/pyproject.toml" | cut -d= -f2)
for artefact in "$source_tree" "$work"/dist/*.tar.gz; do
    env_dir=$(mktemp -d "$work/env.XXXX")
    python3 -m venv "$env_dir"
    pins=()
    [[ $artefact == *.tar.gz ]] && pins=("textual==$oldest_textual")
    "$env_dir/bin/pip" install --quiet "$artefact" "${pins[@]}"
    cd "$env_dir"
    listing=$("$env_dir/bin/storyteller" models)
    grep -q "^default  \[shipped\]" <<<"$listing"
    "$env_dir/bin/storyteller" generate "the fox" --words 8 --seed 1 >/dev/null
    open_writer "$env_dir/bin"
    cd "$checkout"
    textual=$("$env_dir/bin/python" -c "import importlib.metadata as m; print(m.version('textual'))")
    echo "installed from $(basename "$artefact") with Textual $textual: models, generate and the writer work"
done
