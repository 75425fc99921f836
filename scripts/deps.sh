#!/usr/bin/env bash
# deps.sh [--build]: installs what burrow needs from Debian's packages, only
# when something is missing. Safe to run again. --build installs only what
# building and running burrow needs (the demo); without it, also everything
# the tests and the benchmark use.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config                           # toolchain
  libuv1-dev libssl-dev libjansson-dev node-llhttp          # burrow's libraries (llhttp: C sources)
  libyaml-dev                                               # YAML (and JSON) config files
  libminiupnpc-dev libnatpmp-dev                            # router port mapping (UPnP IGD, NAT-PMP)
  libldns-dev                                               # DDNS: RFC 2136 UPDATE with TSIG
  libzstd-dev                                               # transport.useCompression (zstd streams)
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
    bind9 bind9-utils bind9-dnsutils                          # lab: DDNS against a real DNS server
    vsftpd lftp samba smbclient tigervnc-standalone-server    # lab: the seed's home uses (FTP, SMB, VNC)
    libnginx-mod-http-dav-ext                                 # lab: WebDAV PROPFIND in nginx (home uses)
    systemd man-db groff-base                                 # install test: systemd-analyze verify, man page rendering
    zstd                                                      # fuzz seeds.py: fuzz_zstd_stream streams
  )
fi
# QUIC (P2P): ngtcp2 1.x with its GnuTLS backend. Debian 12 carries 0.12
# (another API); bookworm-backports carries 1.x, so that suite is added to
# apt's sources (Debian's own archive) and only these packages come from it.
BACKPORTS=(libngtcp2-dev libngtcp2-crypto-gnutls-dev)
pkgs+=(libgnutls28-dev)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
bp_missing=()
for p in "${BACKPORTS[@]}"; do
  v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
  case $v in "install ok installed 0."*|"") bp_missing+=("$p") ;; "install ok installed "*) ;; *) bp_missing+=("$p") ;; esac
done
if [ ${#missing[@]} -eq 0 ] && [ ${#bp_missing[@]} -eq 0 ]; then
  exit 0
fi
if [ ${#bp_missing[@]} -gt 0 ] && ! grep -rqs '^deb .* bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deps: adding Debian's bookworm-backports suite (for ${bp_missing[*]})"
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/burrow-backports.list >/dev/null
fi
echo "deps: installing ${missing[*]} ${bp_missing[*]}"
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#bp_missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bp_missing[@]}" >/dev/null
fi
