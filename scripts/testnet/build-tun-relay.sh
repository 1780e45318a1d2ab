#!/usr/bin/env bash
# Build the testnet's delay/loss relay (scripts/testnet/tun-relay.c) with the
# machine's C compiler into dist/scripts/testnet/tun-relay. Run by .ci/run and,
# when the binary is missing or older than its source, by the testnet itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p dist/scripts/testnet
cc -O2 -Wall -Wextra -o dist/scripts/testnet/tun-relay scripts/testnet/tun-relay.c
