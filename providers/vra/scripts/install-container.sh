#!/bin/bash
# INSTALL task of the vRA software component: pull the ML container image onto a fresh GPU VM.
# vRA's software agent exports each component property as an environment variable; the image
# comes from the `image` property (set from the stack config), so the script holds no image name.
set -euo pipefail

IMAGE="${image:?the software component property 'image' is not set}"
MOTD_TITLE="${motd_title:-GPU machine learning VM}"

log() { echo "[mlaas-install] $*"; }

if ! command -v docker >/dev/null 2>&1; then
    log "docker is missing on the template; install Docker and the NVIDIA container toolkit first" >&2
    exit 1
fi

log "pulling ${IMAGE}"
# Registries time out now and then on large GPU images; try a few times before failing the deployment.
for attempt in 1 2 3; do
    if docker pull "${IMAGE}"; then
        break
    fi
    if [ "${attempt}" -eq 3 ]; then
        log "could not pull ${IMAGE}" >&2
        exit 1
    fi
    sleep $((attempt * 10))
done

GPU_STATUS="no GPU visible to this VM"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    # Smoke check through the NVIDIA container toolkit: the container must see the vGPU.
    if docker run --rm --gpus all "${IMAGE}" nvidia-smi -L >/dev/null 2>&1; then
        GPU_STATUS="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1) ready in containers"
    else
        log "docker run --gpus all failed: check the NVIDIA container toolkit" >&2
        exit 1
    fi
fi

cat >/etc/motd <<MOTD
${MOTD_TITLE}
  container image : ${IMAGE}
  GPU             : ${GPU_STATUS}
  start           : docker run --rm -it --gpus all ${IMAGE} bash
MOTD
log "done"
