#!/bin/bash
# Licensing step of a GPU ML VM, before the install step (vRA 7 software component; Aria
# cloud-init): lease an NVIDIA vGPU licence as NVIDIA's client licensing guide describes for
# Linux (docs/guest-readiness.md). Settings arrive as environment variables (vRA exports each
# software component property as one):
#   nvidia_feature_type          gridd.conf FeatureType (1 for a vGPU: product from the vGPU type)
#   nvidia_client_config_token   NVIDIA License System client configuration token (a secured
#                                property), or, for a legacy license server instead,
#   nvidia_license_server / nvidia_license_port
#   nvidia_licensed_product      what `nvidia-smi -q` should report once licensed (informational)
# The token is never printed. MLAAS_ROOT prefixes every file written (empty on a VM).
set -euo pipefail

ROOT="${MLAAS_ROOT:-}"
NVIDIA_ETC="${ROOT}/etc/nvidia"
GRIDD_CONF="${NVIDIA_ETC}/gridd.conf"
TOKEN_DIR="${NVIDIA_ETC}/ClientConfigToken"
FEATURE_TYPE="${nvidia_feature_type:?the property 'nvidia_feature_type' is not set}"
TOKEN="${nvidia_client_config_token:-}"
SERVER="${nvidia_license_server:-}"
PORT="${nvidia_license_port:-7070}"
PRODUCT="${nvidia_licensed_product:-}"
ATTEMPTS=12  # checks of the lease, WAIT_S apart: two minutes for nvidia-gridd to get one
WAIT_S=10

log() { echo "[mlaas-licensing] $*"; }
fail() { log "$*" >&2; exit 1; }

case "${FEATURE_TYPE}" in
    0|1|2|4) ;;
    *) fail "nvidia_feature_type ${FEATURE_TYPE} is not a gridd.conf FeatureType (0, 1, 2 or 4)" ;;
esac
[ -n "${TOKEN}" ] || [ -n "${SERVER}" ] \
    || fail "neither nvidia_client_config_token nor nvidia_license_server is set"
command -v nvidia-smi >/dev/null 2>&1 \
    || fail "nvidia-smi is missing: the base image needs the NVIDIA vGPU guest driver"

# gridd.conf: from the driver's template on first use, then one line per setting.
mkdir -p "${NVIDIA_ETC}"
if [ ! -f "${GRIDD_CONF}" ] && [ -f "${NVIDIA_ETC}/gridd.conf.template" ]; then
    cp "${NVIDIA_ETC}/gridd.conf.template" "${GRIDD_CONF}"
fi
touch "${GRIDD_CONF}"
set_key() {
    if grep -q "^$1=" "${GRIDD_CONF}"; then
        sed -i "s|^$1=.*|$1=$2|" "${GRIDD_CONF}"
    else
        echo "$1=$2" >>"${GRIDD_CONF}"
    fi
}
set_key FeatureType "${FEATURE_TYPE}"
if [ -n "${SERVER}" ]; then
    set_key ServerAddress "${SERVER}"
    set_key ServerPort "${PORT}"
    log "licence from the license server ${SERVER}:${PORT}"
else
    # The driver reads any *.tok file in this folder; NVIDIA's guide names it by date and sets
    # mode 744. Written without echoing it, with no trace of it in this log.
    mkdir -p "${TOKEN_DIR}"
    token_file="${TOKEN_DIR}/client_configuration_token_$(date +%d-%m-%Y-%H-%M-%S).tok"
    printf '%s' "${TOKEN}" >"${token_file}"
    chmod 744 "${token_file}"
    log "client configuration token written to ${TOKEN_DIR}"
fi

systemctl restart nvidia-gridd

# `nvidia-smi -q` shows "License Status : Licensed (Expiry: ...)" once the lease is held.
for attempt in $(seq 1 "${ATTEMPTS}"); do
    status="$(nvidia-smi -q | grep -m 1 'License Status' || true)"
    case "${status}" in
        *": Licensed"*)
            log "licensed${PRODUCT:+ (${PRODUCT})}: ${status#*: }"
            exit 0 ;;
    esac
    [ "${attempt}" -lt "${ATTEMPTS}" ] && sleep "${WAIT_S}"
done
fail "no NVIDIA licence after ${ATTEMPTS} checks (${status:-no License Status in nvidia-smi -q}); see journalctl -u nvidia-gridd"
