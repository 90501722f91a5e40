#!/usr/bin/env bash
# Makes sure a `terraform` binary is on PATH for the Terraform tests (the
# state backend and terraform jobs). Sourced by scripts/test.sh.
#
# When the machine has none, OpenTofu (a drop-in, MPL-licensed) is built
# from its Go module source once and kept outside the repository, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/sluice/opentofu-VERSION/, then put on
# PATH under the name terraform. The first build takes about 12 minutes.
# (`go install …/cmd/tofu` refuses the module: it has replace directives.)

tf_log() { printf '%s\n' "terraform.sh: $*" >&2; }

if command -v terraform >/dev/null 2>&1; then
  tf_log "$(terraform version 2>/dev/null | head -1) ($(command -v terraform))"
else
  tofu_version=${SLUICE_OPENTOFU_VERSION:-v1.10.6}
  tofu_dir="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/opentofu-${tofu_version}"
  if [ ! -x "$tofu_dir/terraform" ]; then
    tf_log "no terraform on PATH: building OpenTofu ${tofu_version} from source into $tofu_dir (once, about 12 minutes)"
    mkdir -p "$tofu_dir"
    src=$(cd "$tofu_dir" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@${tofu_version}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    if [ -z "$src" ] || [ ! -d "$src" ]; then
      tf_log "could not download the OpenTofu module source"
      return 1 2>/dev/null || exit 1
    fi
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$tofu_dir/terraform.tmp" ./cmd/tofu) &&
      mv "$tofu_dir/terraform.tmp" "$tofu_dir/terraform" || {
      tf_log "building OpenTofu failed"
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$tofu_dir:$PATH"
  tf_log "$(terraform version 2>/dev/null | head -1) ($tofu_dir/terraform)"
fi
# Offline and quiet: no update checks.
export CHECKPOINT_DISABLE=1
