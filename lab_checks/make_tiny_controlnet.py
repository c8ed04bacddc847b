#!/usr/bin/env python3
"""A small random control model that each lab host's ControlNet loads and runs with the lab's tiny UNet.

    # A1111 lab (sd-webui-controlnet v1.1.455), plain torch + safetensors, no WebUI import:
    /root/a1111-lab/venv/bin/python make_tiny_controlnet.py --host a1111 \
        --out /root/a1111-lab/webui/models/ControlNet/tiny_t2iadapter_sd15.safetensors
    # Forge lab (built-in sd_forge_controlnet), run with Forge's venv, imports Forge's backend:
    /root/forge-lab/venv/bin/python make_tiny_controlnet.py --host forge --webui /root/forge-lab/webui \
        --out /root/forge-lab/webui/models/ControlNet/tiny_controlnet_forge.safetensors

Why two different models
------------------------
* A1111's sd-webui-controlnet (scripts/controlnet_model_guess.py, build_model_by_guess) does NOT read a
  config next to the model (v1.1.455 has no yaml route at all). A real ControlNet (keys
  ``input_hint_block.*``/``zero_convs.*``) always gets ``controlnet_default_config``: model_channels 320,
  channel_mult [1,2,4,4], num_res_blocks 2 (only hint_channels and context_dim come from the weights), and
  its 13 residuals are added to the UNet's skips in hook.py (middle + one per output block, popped from the
  end). The lab's tiny UNet has 32/64 channels and 4 input blocks, so a cldm ControlNet can never fit (1280
  vs 64 channels). Control-LoRA, diffusers and SparseCtrl formats also end in that SD1.5 config.
  The T2I-Adapter branch (key ``conv_in.weight``) is the one route whose width comes from the weights:
  ``channels = [c, 2c, 4c, 4c]`` with ``c = conv_in.weight.shape[0]``, ``cin = conv_in.weight.shape[1]``
  (192 = RGB pixel-unshuffled by 8; SD1.5 unless cin is 256/768), ``ksize = body.0.block2.weight.shape[2]``,
  ``use_conv`` iff a ``down_opt.op.weight`` key exists. hook.py adds adapter feature k after UNet input
  block [2, 5, 8, 11][k] (SD1.5), resizing spatially (aligned_adding, nearest) but not in channels. The tiny
  UNet (model_channels 32, channel_mult [1, 2], num_res_blocks 1) has input blocks 0..3; block 2 is the
  level-0 Downsample with 32 channels, so with c = 32 exactly feature 0 (32 ch at latent size -> resized
  to half) is injected, the other three are computed and unused. It is an ordinary ControlNet unit
  (module "none", model "tiny_t2iadapter_sd15 [hash]") for the API, infotext, model list and hashes.
* Forge's built-in ControlNet (modules_forge/supported_controlnet.py) detects a real ControlNet's config
  from its weights (huggingface_guess model_config_from_unet on the ``zero_convs``/``input_blocks`` keys),
  so there we build a real cldm ControlNet with the Forge lab UNet's config (model_channels 320,
  channel_mult [1, 1], num_res_blocks [1, 1], transformer_depth [1, 0], context_dim 768, hint 3 channels)
  using Forge's own ``backend.nn.cnets.cldm.ControlNet``, and check it loads through
  ``ControlNetPatcher.try_build_from_state_dict``.

Weights are seeded random (zero-convs included, so the control image changes the picture), float32
(both files are > 1 MiB, so A1111's short "model hash" — sha256 of the 64 KiB at offset 1 MiB — is not
the empty-file e3b0c442 that every file under 1 MiB gets).
"""
import argparse
import math
import os
import sys


def _rand_like(shape, key, g, torch):
    if key.endswith("bias"):
        return torch.randn(shape, generator=g) * 0.01
    if len(shape) >= 2:
        fan_in = math.prod(shape[1:])
        return torch.randn(shape, generator=g) / math.sqrt(fan_in)
    return 1 + 0.01 * torch.randn(shape, generator=g)  # norm scales


def a1111_t2i_adapter_state_dict(c, ksize, seed):
    """The key/shape set sd-webui-controlnet's scripts/adapter.py Adapter(cin=192, channels=[c,2c,4c,4c],
    nums_rb=2, ksize, sk=True, use_conv=False, is_sdxl=False) has (load_state_dict(strict=True) clean)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    channels = [c, 2 * c, 4 * c, 4 * c]
    nums_rb, cin = 2, 3 * 8 * 8
    shapes = {"conv_in.weight": (c, cin, 3, 3), "conv_in.bias": (c,)}
    for i, ch in enumerate(channels):
        for r in range(nums_rb):
            idx = i * nums_rb + r
            in_c = channels[i - 1] if (i in (1, 2, 3) and r == 0) else ch
            if in_c != ch:  # sk=True: in_conv only when the width changes; skep is None
                shapes[f"body.{idx}.in_conv.weight"] = (ch, in_c, ksize, ksize)
                shapes[f"body.{idx}.in_conv.bias"] = (ch,)
            shapes[f"body.{idx}.block1.weight"] = (ch, ch, 3, 3)
            shapes[f"body.{idx}.block1.bias"] = (ch,)
            shapes[f"body.{idx}.block2.weight"] = (ch, ch, ksize, ksize)
            shapes[f"body.{idx}.block2.bias"] = (ch,)
            # use_conv=False: down_opt is an AvgPool (no weights)
    return {k: _rand_like(s, k, g, torch).float().contiguous() for k, s in shapes.items()}


def forge_controlnet_state_dict(webui, seed):
    webui = os.path.abspath(webui)
    sys.argv = [sys.argv[0], "--always-cpu"]  # backend.args parses sys.argv
    sys.path[:0] = [webui, os.path.join(webui, "repositories", "huggingface_guess"),
                    os.path.join(webui, "packages_3rdparty")]
    os.chdir(webui)
    import torch
    from backend.nn.cnets import cldm
    g = torch.Generator().manual_seed(seed)
    # = the Forge lab's tiny UNet (make_forge_tiny_model.py), plus a 3-channel hint
    cfg = {"in_channels": 4, "model_channels": 320, "hint_channels": 3, "num_res_blocks": [1, 1],
           "channel_mult": [1, 1], "transformer_depth": [1, 0], "transformer_depth_middle": 1,
           "transformer_depth_output": [0, 0, 1, 1], "num_heads": 8, "num_head_channels": -1, "context_dim": 768,
           "use_linear_in_transformer": False, "use_spatial_transformer": True, "adm_in_channels": None}
    net = cldm.ControlNet(**cfg)
    sd = {}
    for k, v in net.state_dict().items():
        sd[k] = (_rand_like(tuple(v.shape), k, g, torch) if v.is_floating_point() else v.clone()).float().contiguous()
    return sd


def check_forge(sd, path):
    from modules_forge.supported_controlnet import ControlNetPatcher
    patcher = ControlNetPatcher.try_build_from_state_dict(dict(sd), path)
    assert patcher is not None, "Forge did not recognise the control model"
    return type(patcher.model_patcher).__name__


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", choices=["a1111", "forge"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--webui", help="Forge webui folder (for --host forge)")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--channels", type=int, default=32,
                    help="a1111: adapter width c = the tiny UNet's model_channels (32)")
    ap.add_argument("--ksize", type=int, default=3)
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    if a.host == "a1111":
        sd = a1111_t2i_adapter_state_dict(a.channels, a.ksize, a.seed)
        kind = f"T2I-Adapter SD1.5, channels {[a.channels * m for m in (1, 2, 4, 4)]}, ksize {a.ksize}"
    else:
        if not a.webui:
            ap.error("--host forge needs --webui")
        sd = forge_controlnet_state_dict(a.webui, a.seed)
        kind = "ControlNet (cldm), Forge lab tiny UNet config; Forge builds it as " + check_forge(sd, out)
    import safetensors.torch as st
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    st.save_file(sd, tmp, metadata={"note": f"lab-only random {kind}; seed {a.seed}"})
    os.replace(tmp, out)
    n = sum(v.numel() for v in sd.values())
    print(f"wrote {out}: {kind}; {len(sd)} tensors, {n / 1e6:.2f} M params, {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
