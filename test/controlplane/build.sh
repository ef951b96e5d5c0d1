#!/usr/bin/env bash
# Builds the control-plane binaries the tests and the playground run, from pinned Go module versions,
# into a cache outside the repo keyed by version. Reuses what is cached; honours KUBEBUILDER_ASSETS.
# Prints the folder holding the binaries on its last line of stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION=v1.37.2
K8S_STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
# istio.io/istio publishes no semver tags to the module proxy; this pseudo-version is release 1.30's line.
ISTIO_VERSION=v0.0.0-20260827124520-eed52ebb66ad
KREW_VERSION=v0.5.0
# The Gateway API CRDs (standard channel) come from the module; not part of KEY (a file, not a build).
GATEWAY_API_VERSION=v1.6.3
# Tracing backends for kubectl trace; not part of KEY either: each has its own file and version file.
# Jaeger's Go module tag v1.76.0 is the v2.13.0 release (the jaeger v2 binary, in-memory storage).
JAEGER_VERSION=v1.76.0
ZIPKIN_VERSION=3.5.1

CACHE_ROOT=${KPLUGINS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-traffic-plugins}
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_istio-${ISTIO_VERSION##*-}_krew-${KREW_VERSION}"
OUT="$CACHE_ROOT/bin/$KEY"
SRC="$CACHE_ROOT/src"

say() { printf '[controlplane] %s\n' "$*" >&2; }
die() { printf 'controlplane build: %s\n' "$*" >&2; exit 1; }

# With KUBEBUILDER_ASSETS (envtest's convention) the binaries found there are used, through a folder of
# links of its own, so the version-keyed cache never holds links to someone else's binaries.
BASE_OUT="$OUT"
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  OUT="$CACHE_ROOT/bin/assets-$(printf '%s' "$KUBEBUILDER_ASSETS" | sha256sum | cut -c1-12)"
fi

if [ "${1:-}" = "--print-dir" ]; then echo "$OUT"; exit 0; fi

export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0
go_ready=0
# Go is needed only when something has to be built or fetched.
ensure_go() {
  [ "$go_ready" = 1 ] && return 0
  command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.25 on PATH); install it, or set KUBEBUILDER_ASSETS to a folder with prebuilt binaries"
  # k8s.io/kubernetes 1.37 needs Go >= 1.25; an older local Go (>= 1.21) fetches one from the module proxy.
  local gov; gov=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  if [ "$(printf '%s\n' "1.25" "${gov%%[a-z]*}" | sort -V | head -1)" = "1.25" ]; then
    export GOTOOLCHAIN=local
  else
    say "Go $gov is older than 1.25; using go1.26.0 from the module proxy"
    export GOTOOLCHAIN=go1.26.0
  fi
  go_ready=1
}

mkdir -p "$OUT" "$SRC"
exec 9>"$CACHE_ROOT/build.lock"
flock 9

have() { [ -x "$OUT/$1" ]; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  for b in kube-apiserver etcd kubectl kube-controller-manager kube-scheduler kube-proxy kwok istioctl pilot-discovery pilot-agent kubectl-krew kwok-stages istio-crds.yaml gateway-api-crds.yaml kwok-portforward-crd.yaml jaeger zipkin-server.jar; do
    if [ -x "$KUBEBUILDER_ASSETS/$b" ] && [ -f "$KUBEBUILDER_ASSETS/$b" ]; then
      ln -sfn "$KUBEBUILDER_ASSETS/$b" "$OUT/$b"; say "using $b from KUBEBUILDER_ASSETS"
    elif [ -e "$BASE_OUT/$b" ] && [ ! -e "$OUT/$b" ]; then
      ln -sfn "$BASE_OUT/$b" "$OUT/$b"
    fi
  done
fi

check_proxy() {
  ensure_go
  if ! out=$(cd "$SRC" && go list -m -json "$1@$2" 2>&1); then
    die "cannot fetch Go module $1@$2 (GOPROXY=$(go env GOPROXY)): ${out##*$'\n'}"
  fi
}

step=0
total=12
progress() { step=$((step+1)); say "[$step/$total] $*"; }

# A wrapper module for commands of k8s.io/kubernetes, which replaces its staging modules with local paths.
k8s_ldflags() {
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  printf '%s' "$ld"
}
k8s_wrapper() { # dir cmd... : set up (once) a module requiring k8s.io/kubernetes for these commands
  local w="$1"; shift
  mkdir -p "$w"
  (
    cd "$w"
    # .ready marks a finished set-up; an interrupted one is redone from scratch.
    [ -f .ready ] && exit 0
    rm -f go.mod go.sum tools.go
    go mod init local/k8sbins >/dev/null 2>&1
    go mod edit -go=1.26.0
    local mod m c
    mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    for m in $(awk '$1 ~ /^k8s\.io\// && $2=="v0.0.0"{print $1}' "$mod"); do
      go mod edit -replace="$m=$m@$K8S_STAGING_VERSION"
    done
    { printf '//go:build tools\n\npackage tools\n\nimport (\n'; for c in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done; printf ')\n'; } > tools.go
    say "  resolving modules (first run downloads several hundred MB)"
    go get "k8s.io/kubernetes@$K8S_VERSION" >&2
    go mod tidy >&2 || true
    touch .ready
  )
}

# 1. Kubernetes: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl.
progress "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $K8S_VERSION"
if have kube-apiserver && have kube-controller-manager && have kube-scheduler && have kubectl; then
  say "  cached"
else
  check_proxy k8s.io/kubernetes "$K8S_VERSION"
  w="$SRC/k8s-$K8S_VERSION"
  k8s_wrapper "$w" kube-apiserver kube-controller-manager kube-scheduler kubectl
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    have "$c" && continue
    say "  compiling $c"
    (cd "$w" && go build -trimpath -tags selinux,notest -ldflags "$(k8s_ldflags)" -o "$OUT/$c.tmp" "k8s.io/kubernetes/cmd/$c" >&2)
    mv "$OUT/$c.tmp" "$OUT/$c"
  done
fi

# Build one package through a wrapper module that requires its module at a pinned version. Used where
# `go install pkg@version` does not work: relative replace directives (etcd), or a module proxy that
# refuses the version list `go install` reads for deprecation notices (krew).
wrapper_build() { # module version package output [ldflags]
  local w="$SRC/wrap-${1//\//_}-$2"
  mkdir -p "$w"
  (
    cd "$w"
    if [ ! -f .ready ]; then
      rm -f go.mod go.sum tools.go
      go mod init "local/wrap" >/dev/null 2>&1
      printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$3" > tools.go
      go get "$1@$2" >&2
      go mod tidy >&2 || true
      touch .ready
    fi
    go build -trimpath -ldflags "-s -w ${5:-}" -o "$OUT/$4.tmp" "$3" >&2
    mv "$OUT/$4.tmp" "$OUT/$4"
  )
}

# 2. etcd
progress "etcd $ETCD_VERSION"
if have etcd; then say "  cached"; else
  check_proxy go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  wrapper_build go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd
fi

gobin_install() { # name module-path@version output-name [ldflags]
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w ${4:-}" "$2" >&2
  mv "$tmp/$1" "$OUT/$3"; rm -rf "$tmp"
}

# 3. kwok, with its stage configurations copied from the module.
progress "kwok $KWOK_VERSION"
if have kwok && [ -d "$OUT/kwok-stages" ]; then say "  cached"; else
  check_proxy sigs.k8s.io/kwok "$KWOK_VERSION"
  have kwok || gobin_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" kwok
  dir=$(cd "$SRC" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$OUT/kwok-stages"; mkdir -p "$OUT/kwok-stages"
  cp -r "$dir/kustomize/stage/." "$OUT/kwok-stages/"; chmod -R u+w "$OUT/kwok-stages"
fi
# kwok's PortForward CRD: port-forward to a pod through the API server ends at an address kwok dials
# (istiod's ports). Added after KEY was fixed: its own check, the version kept beside the file.
if [ -f "$OUT/kwok-portforward-crd.yaml" ] && [ "$(cat "$OUT/kwok-portforward-crd.version" 2>/dev/null)" = "$KWOK_VERSION" ]; then :; else
  check_proxy sigs.k8s.io/kwok "$KWOK_VERSION"
  dir=$(cd "$SRC" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml" "$OUT/kwok-portforward-crd.yaml"; chmod u+w "$OUT/kwok-portforward-crd.yaml"
  echo "$KWOK_VERSION" > "$OUT/kwok-portforward-crd.version"
  say "  kwok's PortForward CRD copied"
fi

# 4. istioctl and the Istio CRDs from the same module version.
ISTIO_LDFLAGS="-X istio.io/istio/pkg/version.buildVersion=$ISTIO_VERSION -X istio.io/istio/pkg/version.buildStatus=Clean"
progress "istioctl ${ISTIO_VERSION}"
if have istioctl && [ -f "$OUT/istio-crds.yaml" ]; then say "  cached"; else
  check_proxy istio.io/istio "$ISTIO_VERSION"
  have istioctl || gobin_install istioctl "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_VERSION" istioctl "$ISTIO_LDFLAGS"
  dir=$(cd "$SRC" && go mod download -json "istio.io/istio@$ISTIO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp "$dir/manifests/charts/base/files/crd-all.gen.yaml" "$OUT/istio-crds.yaml"; chmod u+w "$OUT/istio-crds.yaml"
fi

# 5. istiod (pilot-discovery) and pilot-agent, from the same istio module as istioctl. Added after KEY was
# fixed, so each has its own check: the binary plus a version file beside it (a link from
# KUBEBUILDER_ASSETS is someone else's binary, used as it is).
progress "pilot-discovery, pilot-agent ${ISTIO_VERSION}"
istio_current() { have "$1" && { [ -L "$OUT/$1" ] || [ "$(cat "$OUT/$1.version" 2>/dev/null)" = "$ISTIO_VERSION" ]; }; }
if istio_current pilot-discovery && istio_current pilot-agent; then say "  cached"; else
  check_proxy istio.io/istio "$ISTIO_VERSION"
  for b in pilot-discovery pilot-agent; do
    istio_current "$b" && continue
    say "  compiling $b"
    gobin_install "$b" "istio.io/istio/pilot/cmd/$b@$ISTIO_VERSION" "$b" "$ISTIO_LDFLAGS"
    echo "$ISTIO_VERSION" > "$OUT/$b.version"
  done
fi

# 6. krew, installed under the name kubectl discovers.
progress "krew $KREW_VERSION"
if have kubectl-krew; then say "  cached"; else
  check_proxy sigs.k8s.io/krew "$KREW_VERSION"
  wrapper_build sigs.k8s.io/krew "$KREW_VERSION" sigs.k8s.io/krew/cmd/krew kubectl-krew "-X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION"
fi

# 7. The Gateway API CRDs (standard channel), one file; the version it holds is kept beside it.
progress "Gateway API CRDs $GATEWAY_API_VERSION"
if [ -f "$OUT/gateway-api-crds.yaml" ] && [ "$(cat "$OUT/gateway-api-crds.version" 2>/dev/null)" = "$GATEWAY_API_VERSION" ]; then say "  cached"; else
  check_proxy sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION"
  dir=$(cd "$SRC" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  # CustomResourceDefinitions only (the folder also holds an admission policy).
  for f in "$dir"/config/crd/standard/gateway.networking.k8s.io_*.yaml; do
    grep -q '^kind: CustomResourceDefinition' "$f" && { echo '---'; cat "$f"; }
  done > "$OUT/gateway-api-crds.yaml.tmp"
  mv "$OUT/gateway-api-crds.yaml.tmp" "$OUT/gateway-api-crds.yaml"
  echo "$GATEWAY_API_VERSION" > "$OUT/gateway-api-crds.version"
fi

# 8. kube-proxy from the same Kubernetes module, for the test clusters' network (test/harness/network/).
# Its own cache check (a version file beside it), so adding it did not change KEY.
progress "kube-proxy $K8S_VERSION"
if have kube-proxy && { [ -L "$OUT/kube-proxy" ] || [ "$(cat "$OUT/kube-proxy.version" 2>/dev/null)" = "$K8S_VERSION" ]; }; then say "  cached"; else
  check_proxy k8s.io/kubernetes "$K8S_VERSION"
  w="$SRC/k8s-proxy-$K8S_VERSION"
  k8s_wrapper "$w" kube-proxy
  say "  compiling kube-proxy"
  (cd "$w" && go build -trimpath -tags selinux,notest -ldflags "$(k8s_ldflags)" -o "$OUT/kube-proxy.tmp" k8s.io/kubernetes/cmd/kube-proxy >&2)
  mv "$OUT/kube-proxy.tmp" "$OUT/kube-proxy"
  echo "$K8S_VERSION" > "$OUT/kube-proxy.version"
fi

# 9. The VM hosts' Debian root (debootstrap; vm-root.sh has its own cache and lock). Needs root.
progress "VM host root (debootstrap)"
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  say "  skipped with KUBEBUILDER_ASSETS (built on first use by test/controlplane/vm-root.sh)"
elif [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null 2>&1; then
  bash "$(dirname "$0")/vm-root.sh" > /dev/null || say "  not built; the VM host tests will say why"
else
  say "  skipped: needs root and debootstrap (the test network's VM hosts are unavailable)"
fi

# 10. Jaeger v2 for kubectl trace. `go install` refuses the module (its go.mod has replace directives);
# a throwaway module that requires it as a tool builds it.
progress "jaeger $JAEGER_VERSION"
if have jaeger && { [ -L "$OUT/jaeger" ] || [ "$(cat "$OUT/jaeger.version" 2>/dev/null)" = "$JAEGER_VERSION" ]; }; then say "  cached"
elif [ -n "${KUBEBUILDER_ASSETS:-}" ]; then say "  skipped: not in KUBEBUILDER_ASSETS (the kubectl trace tests need it)"
else
  check_proxy github.com/jaegertracing/jaeger "$JAEGER_VERSION"
  w="$SRC/jaeger-$JAEGER_VERSION"; mkdir -p "$w"
  (
    cd "$w"
    if [ ! -f .ready ]; then
      rm -f go.mod go.sum
      go mod init local/jaegerbin >/dev/null 2>&1
      say "  resolving modules"
      go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
      touch .ready
    fi
    say "  compiling jaeger"
    go build -trimpath -ldflags "-s -w" -o "$OUT/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
    mv "$OUT/jaeger.tmp" "$OUT/jaeger"
  )
  echo "$JAEGER_VERSION" > "$OUT/jaeger.version"
fi

# 11. Zipkin server (the exec jar from Maven Central; run with Java >= 17).
progress "zipkin-server $ZIPKIN_VERSION"
if [ -f "$OUT/zipkin-server.jar" ] && { [ -L "$OUT/zipkin-server.jar" ] || [ "$(cat "$OUT/zipkin.version" 2>/dev/null)" = "$ZIPKIN_VERSION" ]; }; then say "  cached"
elif [ -n "${KUBEBUILDER_ASSETS:-}" ]; then say "  skipped: not in KUBEBUILDER_ASSETS (the kubectl trace tests need it)"
else
  command -v mvn >/dev/null 2>&1 || die "Maven is needed to fetch zipkin-server $ZIPKIN_VERSION (apt-get install maven)"
  tmp=$(mktemp -d)
  mvn -B -q dependency:copy "-Dartifact=io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" -DoutputDirectory="$tmp" >&2 \
    || { rm -rf "$tmp"; die "cannot fetch io.zipkin:zipkin-server:$ZIPKIN_VERSION:exec from Maven Central"; }
  mv "$tmp/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$OUT/zipkin-server.jar.tmp"; rm -rf "$tmp"
  mv "$OUT/zipkin-server.jar.tmp" "$OUT/zipkin-server.jar"
  echo "$ZIPKIN_VERSION" > "$OUT/zipkin.version"
fi

progress "done: $(du -sh "$OUT" 2>/dev/null | cut -f1) in $OUT"
echo "$OUT"
