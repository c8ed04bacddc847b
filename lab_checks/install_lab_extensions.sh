#!/usr/bin/env bash
# install_lab_extensions.sh — put ControlNet and ADetailer into the labs the way users have them, plus a tiny
# random control model for each lab's tiny checkpoint. Idempotent: run it again and it only redoes what is
# missing or out of date (FORCE=1 rebuilds the models, RECLONE=1 re-extracts the extensions).
#
#   bash lab_checks/install_lab_extensions.sh            # then start the labs with the commands it prints
#
# What it does
#  1. sd-webui-controlnet and adetailer: `git clone` from the mirrors the `fetch` tool brought
#     (/work/.mirror/<owner>+<name>/repo) into $LAB_EXT (/root/lab-ext/<name>), origin set to the GitHub URL —
#     a clone like the one "Install from URL" makes, so the folder has .git and A1111's
#     Extension.read_info_from_repo() reports its commit. ARCHIVE=1: `git archive` instead (no .git; commit '').
#  2. The A1111 lab venv gets the packages the two install.py files would install, from the package index,
#     under the lab's pins, then A1111's own pins are restored (what A1111's next start does anyway):
#       - torch 2.13 wants setuptools>=77 but the lab pins 69.5.1, so pip cannot resolve anything that depends
#         on torch: ultralytics/ultralytics-thop/timm/controlnet_aux go in with --no-deps, their other
#         dependencies separately;
#       - mediapipe 0.10.15 pulls protobuf 4.25 and A1111 1.10.1 pins protobuf==3.20.0: protobuf is put back
#         to 3.20.0 (mediapipe's face detectors work with it; checked below), else start.sh refuses
#         RUN_EXT_INSTALLERS=1 ("requirements no longer met");
#       - ultralytics is pinned to 8.3.75 (ADetailer's minimum): newer ones require torch<2.10.
#     After this, both install.py files find everything present and install nothing from the index.
#     ControlNet's install.py also pip-installs four wheels straight from GitHub release URLs (handrefiner,
#     depth_anything, depth_anything_v2, dsine): not a package registry, so the start commands below point
#     those at a missing local file (the installer prints a warning and goes on; only those preprocessors
#     are unavailable).
#  3. Builds the tiny control models (lab_checks/make_tiny_controlnet.py; why two kinds: see its docstring):
#       A1111: webui/models/ControlNet/tiny_t2iadapter_sd15.safetensors  (T2I-Adapter, 32 channels)
#       Forge: webui/models/ControlNet/tiny_controlnet_forge.safetensors (cldm ControlNet, Forge tiny UNet)
#  4. Prints what to pass to start.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
MIRRORS="${MIRRORS:-/work/.mirror}"
LAB_EXT="${LAB_EXT:-/root/lab-ext}"
A1111="${A1111_LAB:-/root/a1111-lab}"
FORGE="${FORGE_LAB:-/root/forge-lab}"
mkdir -p "$LAB_EXT"

say() { printf '== %s\n' "$*"; }

extract() {  # extract OWNER+NAME FOLDER
  local mirror="$MIRRORS/$1/repo" dest="$LAB_EXT/$2" url="https://github.com/${1/+//}"
  [ -d "$mirror" ] || { echo "no mirror at $mirror: bring it with the fetch tool (fetch github:${1/+//})" >&2; exit 1; }
  local want; want="$(git --git-dir="$mirror" rev-parse HEAD)"
  if [ "${RECLONE:-0}" != "1" ] && [ -d "$dest" ]; then
    if [ "${ARCHIVE:-0}" = "1" ] && [ ! -e "$dest/.git" ] && [ -f "$dest/.lab-archive-commit" ] \
       && [ "$(cat "$dest/.lab-archive-commit")" = "$want" ]; then
      say "$2: archive of ${want:0:8} already there"; return; fi
    if [ "${ARCHIVE:-0}" != "1" ] && [ -e "$dest/.git" ] && [ "$(git -C "$dest" rev-parse HEAD)" = "$want" ]; then
      say "$2: clone at ${want:0:8} already there"; return; fi
  fi
  rm -rf -- "$dest.new"
  if [ "${ARCHIVE:-0}" = "1" ]; then
    mkdir -p "$dest.new"
    git --git-dir="$mirror" archive HEAD | tar -x -C "$dest.new"
    echo "$want" > "$dest.new/.lab-archive-commit"
  else
    git clone -q --no-hardlinks "$mirror" "$dest.new"
    git -C "$dest.new" remote set-url origin "$url"
  fi
  rm -rf -- "$dest"
  mv -- "$dest.new" "$dest"
  say "$2: $( [ "${ARCHIVE:-0}" = "1" ] && echo archive || echo clone ) of $url at ${want:0:8}"
}

extract Mikubill+sd-webui-controlnet sd-webui-controlnet
extract Bing-su+adetailer adetailer

# ---- a lab-only helper extension: a face for ADetailer to find ----------------------------------------------
# The tiny model's random VAE cannot draw a face (not even in img2img from a photo), so ADetailer's mediapipe
# detector never fires on lab output. With this helper linked (its folder sorts before "adetailer", so its
# postprocess_image runs first), a prompt containing LABFACE gets each generated picture replaced by
# scikit-image's astronaut photo (NASA, public domain) just before ADetailer looks: detection + ADetailer's
# inner inpaint pass then really run. Not part of ParamLab.
mkdir -p "$LAB_EXT/0lab-face/scripts"
cat > "$LAB_EXT/0lab-face/scripts/labface.py" <<'PYEOF'
# Lab-only helper (written by ParamLab's lab_checks/install_lab_extensions.sh): with "LABFACE" in the prompt,
# each generated picture is swapped for scikit-image's astronaut photo in postprocess_image, before ADetailer
# (this folder sorts first), so ADetailer's mediapipe face detector finds a face. Not product code.
from PIL import Image
from modules import scripts


class LabFace(scripts.Script):
    def title(self):
        return "LabFace"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def postprocess_image(self, p, pp, *args):
        if "LABFACE" in (p.prompt or ""):
            import skimage.data
            pp.image = Image.fromarray(skimage.data.astronaut()).resize(pp.image.size, Image.LANCZOS)
PYEOF
say "helper extension $LAB_EXT/0lab-face (LABFACE in the prompt -> a face for ADetailer)"

# ---- A1111 venv: the two installers' packages, under the lab's pins --------------------------------------
if [ -x "$A1111/venv/bin/python" ]; then
  PY="$A1111/venv/bin/python"
  CONS="$LAB_EXT/a1111-install-constraints.txt"
  { grep -E '^[A-Za-z0-9_.-]+==' "$A1111/webui/requirements_versions.txt" | sed 's/ *#.*//' | grep -vi '^protobuf'
    printf 'torch==2.13.0\ntorchvision==0.28.0\n'; } > "$CONS"
  have() { "$PY" - "$@" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
from packaging.version import parse
for spec in sys.argv[1:]:
    name, _, lo = spec.partition(">=")
    try:
        v = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if lo and parse(v) < parse(lo):
        sys.exit(1)
EOF
  }
  if have "ultralytics>=8.3.75" ultralytics-thop timm controlnet_aux "mediapipe>=0.10.13" "rich>=13.0.0" fvcore svglib \
          addict yapf albumentations onnxruntime importlib-metadata py-cpuinfo seaborn; then
    say "A1111 venv: ControlNet/ADetailer packages already installed"
  else
    say "A1111 venv: installing ControlNet/ADetailer packages (log: $LAB_EXT/a1111-pip.log)"
    {
      PIP_CONSTRAINT="$CONS" "$PY" -m pip install --no-deps "ultralytics==8.3.75" ultralytics-thop "timm==0.9.5" "controlnet_aux==0.0.9"
      PIP_CONSTRAINT="$CONS" "$PY" -m pip install "mediapipe>=0.10.13,<=0.10.15" "rich>=13.0.0" fvcore svglib addict yapf \
          "albumentations==1.4.3" "pydantic<=1.10.17" onnxruntime importlib-metadata py-cpuinfo seaborn
    } >> "$LAB_EXT/a1111-pip.log" 2>&1 || { tail -20 "$LAB_EXT/a1111-pip.log" >&2; exit 1; }
  fi
  # A1111's pins back (its next start would do `pip install -r requirements_versions.txt` itself)
  if ! (cd "$A1111/webui" && "$PY" -c "import sys; from modules import launch_utils as l; sys.exit(0 if l.requirements_met('requirements_versions.txt') else 3)") >/dev/null 2>&1; then
    say "A1111 venv: restoring requirements_versions.txt pins (protobuf 3.20.0 ...)"
    PIP_CONSTRAINT="$CONS" "$PY" -m pip install "protobuf==3.20.0" >> "$LAB_EXT/a1111-pip.log" 2>&1
    (cd "$A1111/webui" && "$PY" -c "import sys; from modules import launch_utils as l; sys.exit(0 if l.requirements_met('requirements_versions.txt') else 3)") \
      || { echo "A1111 venv still does not meet requirements_versions.txt" >&2; exit 1; }
  fi
  "$PY" - <<'EOF' 2>/dev/null | grep -E '^(mediapipe|face)' || { echo "mediapipe face detection does not run in the A1111 venv" >&2; exit 1; }
import numpy as np, mediapipe as mp, google.protobuf as pb
print("mediapipe", mp.__version__, "protobuf", pb.__version__)
with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.3) as fd:
    fd.process(np.zeros((64, 64, 3), np.uint8))
print("face detection ok")
EOF
  MODEL="$A1111/webui/models/ControlNet/tiny_t2iadapter_sd15.safetensors"
  if [ "${FORCE:-0}" = "1" ] || [ ! -s "$MODEL" ]; then
    "$PY" "$HERE/make_tiny_controlnet.py" --host a1111 --out "$MODEL"
  else
    say "A1111: $MODEL already there (FORCE=1 rebuilds)"
  fi
else
  echo "no A1111 lab at $A1111 (skipped)" >&2
fi

# ---- Forge: ControlNet is built in; only the model ----------------------------------------------------------
if [ -x "$FORGE/venv/bin/python" ]; then
  MODEL="$FORGE/webui/models/ControlNet/tiny_controlnet_forge.safetensors"
  if [ "${FORCE:-0}" = "1" ] || [ ! -s "$MODEL" ]; then
    "$FORGE/venv/bin/python" "$HERE/make_tiny_controlnet.py" --host forge --webui "$FORGE/webui" --out "$MODEL" 2>&1 | tail -1
  else
    say "Forge: $MODEL already there (FORCE=1 rebuilds)"
  fi
else
  echo "no Forge lab at $FORGE (skipped)" >&2
fi

cat <<EOF

== start the labs with them (ParamLab at /tmp/ext-lab: mkdir -p /tmp/ext-lab && git -C /work/main archive HEAD | tar -x -C /tmp/ext-lab)
export HANDREFINER_WHEEL=/nonexistent/handrefiner.whl DEPTH_ANYTHING_WHEEL=/nonexistent/da.whl \\
       DEPTH_ANYTHING_V2_WHEEL=/nonexistent/da2.whl DSINE_WHEEL=/nonexistent/dsine.whl
RUN_EXT_INSTALLERS=1 A1111_EXTRA_ARGS="--paramlab-db /tmp/labx.sqlite" $A1111/start.sh /tmp/ext-lab $LAB_EXT/sd-webui-controlnet $LAB_EXT/adetailer [$LAB_EXT/0lab-face]
   # ControlNet model: "tiny_t2iadapter_sd15 [<hash8>]" (GET /controlnet/model_list), module "none"
FORGE_EXTRA_ARGS="--paramlab-db /tmp/forgex.sqlite" $FORGE/start.sh /tmp/ext-lab
   # ControlNet built in; model "tiny_controlnet_forge [<hash8>]", module "None" (capital N on Forge)
$A1111/stop.sh; $FORGE/stop.sh
check:  $A1111/venv/bin/python $HERE/lab_extensions_check.py a1111   |   $FORGE/venv/bin/python $HERE/lab_extensions_check.py forge
EOF
