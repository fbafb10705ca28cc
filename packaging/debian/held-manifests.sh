# Shared by prerm and `make uninstall` (sourced, POSIX sh): the static pod manifests pkid has moved out of the
# manifests dir for a restart and not yet put back. pkid keeps them in its holding dir, named
# <component>.yaml; a file there means the kubelet is not running that component right now.

# The value of a top-level `key:` in pkid's config file, without quotes or a trailing comment.
pkid_config_value() { # file key
    [ -r "$1" ] || return 0
    sed -n "s/^$2:[[:space:]]*//p" "$1" | sed 's/[[:space:]]#.*$//; s/[[:space:]]*$//; s/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/' | tail -n 1
}

# The holding dir pkid uses with this config: `holding-dir:`, else a sibling of `manifests-dir:`.
pkid_holding_dir() { # config-file
    holding=$(pkid_config_value "$1" holding-dir)
    if [ -n "$holding" ]; then
        echo "$holding"
        return
    fi
    manifests=$(pkid_config_value "$1" manifests-dir)
    manifests=${manifests:-/etc/kubernetes/manifests}
    echo "$(dirname "${manifests%/}")/pkid-held-manifests"
}

# Prints each held manifest; returns 1 when there is one. Half-written temporaries (".name.tmp…") do not count.
pkid_held_manifests() { # config-file
    dir=$(pkid_holding_dir "$1")
    found=0
    for held in "$dir"/*.yaml; do
        [ -f "$held" ] || continue
        echo "$held"
        found=1
    done
    return "$found"
}

# Refuses (status 1, the reason on stderr) while pkid holds a manifest.
pkid_refuse_while_holding() { # config-file what
    if ! held=$(pkid_held_manifests "$1"); then
        manifests=$(pkid_config_value "$1" manifests-dir)
        echo "pkid: refusing to $2: pkid holds static pod manifests it has not put back:" >&2
        echo "$held" | sed 's/^/  /' >&2
        echo "pkid: wait for its restart to finish (journalctl -u pkid), or start pkid to put them back," >&2
        echo "pkid: or move each back into ${manifests:-/etc/kubernetes/manifests} by hand; then try again" >&2
        return 1
    fi
}
