#!/usr/bin/env bash
# deps.sh [--build]: installs what burrow needs from Debian's packages, only
# when something is missing. Safe to run again. --build installs only what
# building and running burrow needs (the demo); without it, also everything
# the tests and the benchmark use.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config                           # toolchain
  libuv1-dev libssl-dev libjansson-dev node-llhttp          # burrow's libraries (llhttp: C sources)
  libminiupnpc-dev libnatpmp-dev                            # router port mapping (UPnP IGD, NAT-PMP)
  python3                                                    # the demo's web server
)
if [ "${1:-}" != "--build" ]; then
  pkgs+=(
    clang libclang-rt-14-dev                                  # clang build + sanitizer runtimes
    iproute2 nftables iperf3 curl procps socat openssl        # NAT lab and tests (openssl: test certificates)
    chromium                                                  # the headless-browser lab test
    tcpdump                                                   # lab: the server sees no plaintext of stcp
    coturn stun-client miniupnpd-nftables                     # lab: NAT discovery interop, router mapping
    openssh-server openssh-client wrk nginx-light gnuplot-nox # bench/run.sh (ssh -R, HTTP load, chart)
  )
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
