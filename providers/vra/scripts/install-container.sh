#!/bin/bash
# INSTALL step of a GPU ML VM (vRA 7 software component; Aria cloud-init runs the same file):
# make sure Docker runs GPU containers through the NVIDIA Container Toolkit, pull the ML image,
# smoke-test the vGPU from a container, write /etc/motd.
# vRA's software agent exports each component property as an environment variable; the image
# comes from the `image` property (set from the stack config), so the script holds no image name.
# MLAAS_ROOT prefixes every file the script writes (empty on a VM; a folder in the tests).
set -euo pipefail

IMAGE="${image:?the software component property 'image' is not set}"
MOTD_TITLE="${motd_title:-GPU machine learning VM}"
ROOT="${MLAAS_ROOT:-}"
KEYRING="${ROOT}/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"
SOURCES="${ROOT}/etc/apt/sources.list.d/nvidia-container-toolkit.list"
CDI_SPEC="${ROOT}/etc/cdi/nvidia.yaml"
# NVIDIA's production apt repository of the Container Toolkit (docs/guest-readiness.md).
REPO="https://nvidia.github.io/libnvidia-container"

log() { echo "[mlaas-install] $*"; }
fail() { log "$*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 \
    || fail "docker is missing on the template; install Docker on the base image first"

install_toolkit() {
    command -v apt-get >/dev/null 2>&1 \
        || fail "nvidia-ctk is missing and this is no apt system: install the NVIDIA Container Toolkit on the base image"
    log "installing the NVIDIA Container Toolkit from ${REPO}"
    mkdir -p "$(dirname "${KEYRING}")" "$(dirname "${SOURCES}")"
    curl -fsSL "${REPO}/gpgkey" | gpg --dearmor --yes -o "${KEYRING}"
    curl -fsSL "${REPO}/stable/deb/nvidia-container-toolkit.list" \
        | sed "s#deb https://#deb [signed-by=${KEYRING#"${ROOT}"}] https://#g" >"${SOURCES}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nvidia-container-toolkit
}

command -v nvidia-ctk >/dev/null 2>&1 || install_toolkit
# Registers the `nvidia` runtime in Docker's daemon.json; Docker reads it on restart.
nvidia-ctk runtime configure --runtime=docker
systemctl restart docker
# A CDI spec too, for engines that name GPUs as devices (`--device nvidia.com/gpu=all`).
mkdir -p "$(dirname "${CDI_SPEC}")"
nvidia-ctk cdi generate --output="${CDI_SPEC}" \
    || log "no CDI specification generated; docker run --gpus all still works"

log "pulling ${IMAGE}"
# Registries time out now and then on large GPU images; try a few times before failing.
for attempt in 1 2 3; do
    if docker pull "${IMAGE}"; then
        break
    fi
    [ "${attempt}" -lt 3 ] || fail "could not pull ${IMAGE}"
    sleep $((attempt * 10))
done

GPU_STATUS="no GPU visible to this VM"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    # The container must see the vGPU through the toolkit.
    docker run --rm --gpus all "${IMAGE}" nvidia-smi -L >/dev/null 2>&1 \
        || fail "docker run --gpus all failed: check the NVIDIA Container Toolkit (nvidia-ctk)"
    GPU_STATUS="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1) ready in containers"
fi

mkdir -p "${ROOT}/etc"
cat >"${ROOT}/etc/motd" <<MOTD
${MOTD_TITLE}
  container image : ${IMAGE}
  GPU             : ${GPU_STATUS}
  start           : docker run --rm -it --gpus all ${IMAGE} bash
MOTD
log "done"
