# shellcheck shell=bash
# ensure-pkgs.sh: sourced by the scripts in scripts/ to install the Debian packages they need.
#
#   . scripts/lib/ensure-pkgs.sh
#   ensure_pkgs tcpdump tshark nginx-light
#
# Each package is checked with `dpkg -s`; the missing ones are installed with apt-get (as root, or
# through sudo when available). `apt-get update` runs at most once per process, and only when
# something is missing. Setting AW_NO_INSTALL=1 turns a missing package into an error instead.

_aw_apt_updated=0

_aw_as_root() {
    if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "ensure_pkgs: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

ensure_pkgs() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ ${AW_NO_INSTALL:-0} == 1 ]]; then
        echo "ensure_pkgs: missing packages (AW_NO_INSTALL=1): ${missing[*]}" >&2
        return 1
    fi
    echo "ensure_pkgs: installing ${missing[*]}" >&2
    if [[ $_aw_apt_updated -eq 0 ]]; then
        _aw_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        _aw_apt_updated=1
    fi
    _aw_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
}
