"""Profile fields and settings: names, ranges, host names, legacy sampler names, and what A1111 gets."""

from __future__ import annotations

import pytest

from paramlab.profiles import (
    SETTINGS,
    SETTINGS_BY_KEY,
    STARTER_PROFILES,
    HostCatalog,
    Profile,
    ProfileError,
    diff_settings,
    normalise_settings,
    normalise_settings_keep_unknown,
    scope_matches,
    to_api_values,
    to_infotext_params,
    to_override_settings,
    to_p_values,
    unusable_reason,
)

SAMPLERS = ["DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE", "Euler a", "Euler", "LMS", "Heun", "DDIM", "UniPC", "LCM"]
SCHEDULERS = ["Automatic", "Uniform", "Karras", "Exponential", "SGM Uniform", "Align Your Steps", "Beta"]


@pytest.fixture
def catalog() -> HostCatalog:
    return HostCatalog(
        samplers=list(SAMPLERS), schedulers=list(SCHEDULERS), upscalers=["Latent", "R-ESRGAN 4x+", "None"],
        checkpoints=["v1-5-pruned-emaonly.safetensors [6ce0161689]", "sdxl/juggernaut.safetensors [a1b2c3d4e5]"],
        vaes=["Automatic", "None", "vae-ft-mse-840000-ema-pruned.safetensors"],
    )


def test_settings_table_matches_a1111() -> None:
    assert [spec.key for spec in SETTINGS][:4] == ["Sampler", "Schedule type", "Steps", "CFG scale"]
    assert SETTINGS_BY_KEY["Size"].p_attrs == ("width", "height")
    assert SETTINGS_BY_KEY["Batch count"].p_attrs == ("n_iter",)
    assert SETTINGS_BY_KEY["Hires steps"].api_fields == ("hr_second_pass_steps",)
    assert SETTINGS_BY_KEY["Hires upscale"].txt2img_only and not SETTINGS_BY_KEY["Steps"].txt2img_only
    assert SETTINGS_BY_KEY["Distilled CFG Scale"].forge_only
    assert {SETTINGS_BY_KEY[k].option for k in ("Clip skip", "Model", "VAE")} == {
        "CLIP_stop_at_last_layers", "sd_model_checkpoint", "sd_vae"}
    assert (SETTINGS_BY_KEY["Steps"].minimum, SETTINGS_BY_KEY["Steps"].maximum) == (1, 150)


def test_values_are_coerced_to_their_kind() -> None:
    settings = normalise_settings(
        {"steps": "30", "CFG scale": 7, "Size": [512, 768], "Hires resize": {"width": 1024, "height": 1536},
         "Denoising strength": "0.35", "Clip skip": 2.0, "Batch count": None},
        None,
    )
    assert settings == {"Steps": 30, "CFG scale": 7.0, "Size": "512x768", "Hires resize": "1024x1536",
                        "Denoising strength": 0.35, "Clip skip": 2}
    assert normalise_settings({"Size-1": "640", "Size-2": 512}, None) == {"Size": "640x512"}
    assert normalise_settings({"Size": " 512 x 512 "}, None) == {"Size": "512x512"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"Stepz": 20}, "Unknown setting 'Stepz'. Valid settings: Sampler, Schedule type, Steps"),
        ({"Steps": 0}, "Steps: 0 is out of range; it must be between 1 and 150"),
        ({"Steps": 151}, "between 1 and 150"),
        ({"Steps": 20.5}, "Steps: expected a whole number"),
        ({"Steps": True}, "Steps: expected a number"),
        ({"CFG scale": 31}, "CFG scale: 31 is out of range; it must be between 1 and 30"),
        ({"CFG scale": float("nan")}, "CFG scale: expected a finite number"),
        ({"Denoising strength": 1.5}, "between 0 and 1"),
        ({"Batch size": 9}, "between 1 and 8"),
        ({"Batch count": 101}, "between 1 and 100"),
        ({"Clip skip": 13}, "between 1 and 12"),
        ({"Hires upscale": 4.5}, "between 1 and 4"),
        ({"Size": "500x512"}, "Size width: 500 is not a multiple of 8"),
        ({"Size": "32x512"}, "Size width: 32 is out of range; it must be between 64 and 2048"),
        ({"Size": "big"}, "Size: expected WIDTHxHEIGHT"),
        ({"Size-1": 512}, "Size-1 is given without Size-2"),
        ({"Hires upscale": 2, "Hires resize": "1024x1024"}, "pick one"),
        ({"Sampler": ""}, "Sampler: expected a sampler name"),
        ({"Steps": 20, "steps": 30}, "given twice"),
        (["Steps", 20], "Settings must be an object"),
    ],
)
def test_bad_values_name_the_field_and_what_is_allowed(settings, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace("+", r"\+")):
        normalise_settings(settings, None)


def test_host_names_are_checked_and_take_the_hosts_spelling(catalog: HostCatalog) -> None:
    settings = normalise_settings(
        {"Sampler": "euler A", "Schedule type": "karras", "Hires upscaler": "r-esrgan 4x+",
         "Model": "v1-5-pruned-emaonly", "VAE": "vae-ft-mse-840000-ema-pruned"},
        catalog,
    )
    assert settings == {
        "Sampler": "Euler a", "Schedule type": "Karras", "Hires upscaler": "R-ESRGAN 4x+",
        "Model": "v1-5-pruned-emaonly.safetensors [6ce0161689]", "VAE": "vae-ft-mse-840000-ema-pruned.safetensors",
    }
    assert normalise_settings({"Model": "a1b2c3d4e5"}, catalog) == {"Model": "sdxl/juggernaut.safetensors [a1b2c3d4e5]"}


def test_unknown_host_name_lists_the_valid_ones(catalog: HostCatalog) -> None:
    with pytest.raises(ProfileError) as caught:
        normalise_settings({"Sampler": "Foo"}, catalog)
    message = str(caught.value)
    assert "Sampler: 'Foo' is not available in this WebUI" in message
    assert "Valid samplers: DPM++ 2M, DPM++ SDE" in message and "LCM" in message
    with pytest.raises(ProfileError, match="Valid upscalers: Latent, R-ESRGAN 4x\\+, None"):
        normalise_settings({"Hires upscaler": "4x-UltraSharp"}, catalog)
    with pytest.raises(ProfileError, match="Valid schedule types: Automatic"):
        normalise_settings({"Schedule type": "Wobbly"}, catalog)


def test_long_lists_of_valid_names_are_capped() -> None:
    many = HostCatalog(upscalers=[f"Upscaler {i:03}" for i in range(100)])
    message = ""
    try:
        normalise_settings({"Hires upscaler": "Nope"}, many)
    except ProfileError as exc:
        message = str(exc)
    assert "Upscaler 029" in message and "Upscaler 030" not in message and "… (70 more)" in message


def test_standalone_checks_types_and_ranges_only() -> None:
    assert normalise_settings({"Sampler": "Some Future Sampler", "Hires upscaler": "Anything"}, None) == {
        "Sampler": "Some Future Sampler", "Hires upscaler": "Anything"}
    assert normalise_settings({"Distilled CFG Scale": 3.5}, None) == {"Distilled CFG Scale": 3.5}


@pytest.mark.parametrize("catalog_present", [True, False])
def test_legacy_sampler_names_are_split(catalog: HostCatalog, catalog_present: bool) -> None:
    settings = normalise_settings({"Sampler": "DPM++ 2M Karras"}, catalog if catalog_present else None)
    assert settings == {"Sampler": "DPM++ 2M", "Schedule type": "Karras"}
    assert normalise_settings({"Sampler": "DPM++ 2M SDE Exponential"}, None)["Schedule type"] == "Exponential"
    with pytest.raises(ProfileError, match="already names the schedule type Karras"):
        normalise_settings({"Sampler": "DPM++ 2M Karras", "Schedule type": "Uniform"}, None)


def test_a_combined_name_the_host_has_is_kept(catalog: HostCatalog) -> None:
    catalog.samplers.append("Restart Karras")  # an extension sampler whose name ends in a label
    assert normalise_settings({"Sampler": "Restart Karras"}, catalog) == {"Sampler": "Restart Karras"}


def test_distilled_cfg_is_forge_only(catalog: HostCatalog) -> None:
    with pytest.raises(ProfileError, match="Distilled CFG Scale is Forge-only"):
        normalise_settings({"Distilled CFG Scale": 3.5}, catalog)
    catalog.forge = True
    assert normalise_settings({"Distilled CFG Scale": 3.5}, catalog) == {"Distilled CFG Scale": 3.5}


def test_keep_unknown_returns_reasons(catalog: HostCatalog) -> None:
    settings, problems = normalise_settings_keep_unknown({"Sampler": "Foo", "Steps": 20}, catalog)
    assert settings == {"Sampler": "Foo", "Steps": 20}
    assert problems == ["sampler 'Foo' is not available in this WebUI"]
    with pytest.raises(ProfileError, match="out of range"):
        normalise_settings_keep_unknown({"Sampler": "Foo", "Steps": 999}, catalog)
    assert unusable_reason({"Sampler": "Foo"}, catalog) == "sampler 'Foo' is not available in this WebUI"
    assert unusable_reason({"Sampler": "Euler a"}, catalog) is None
    assert unusable_reason({"Sampler": "Foo"}, None) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Profile name is empty"),
        ("   ", "Profile name is empty"),
        ("x" * 10_000, "Profile name is 10,000 characters long; the limit is 100"),
        ("<b>x</b>", "HTML is not allowed"),
        ("line\nbreak", "control character"),
        ("nul\x00", "control character"),
        (None, "Profile name is missing"),
        (42, "Profile name must be text"),
    ],
)
def test_bad_names_are_refused(name, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile(name=name)


def test_profile_fields() -> None:
    profile = Profile(name="  My look  ", description="when to use", model_scope=" ", settings={"Steps": "25"})
    assert profile.name == "My look" and profile.model_scope is None and profile.settings == {"Steps": 25}
    assert Profile(name="x" * 100).name == "x" * 100
    assert Profile(name="カイト 🌃").key == "カイト 🌃"
    with pytest.raises(ProfileError, match="unknown profile field 'colour'"):
        Profile(name="x", colour="red")
    with pytest.raises(ProfileError, match="description is 2,001 characters long"):
        Profile(name="x", description="d" * 2001)
    with pytest.raises(ProfileError, match="Model scope is 301 characters long"):
        Profile(name="x", model_scope="m" * 301)
    with pytest.raises(ProfileError, match="Steps: 0 is out of range"):
        Profile(name="x", settings={"Steps": 0})


def test_diff_shows_what_would_change() -> None:
    changes = diff_settings(
        {"Sampler": "Euler a", "Steps": 30, "Size": "512x768", "CFG scale": 7},
        {"Sampler": "euler a", "Steps": 20, "Size-1": "512", "Size-2": "768", "CFG scale": "7.0"},
    )
    assert [(c.key, c.current, c.new, c.changes) for c in changes] == [
        ("Sampler", "euler a", "Euler a", False),
        ("Steps", 20, 30, True),
        ("CFG scale", "7.0", 7.0, False),
        ("Size", ["512", "768"], "512x768", False),
    ]
    assert diff_settings({"Steps": 30}, {})[0].changes is True


def test_conversions_for_p_options_api_and_infotext() -> None:
    final = {"Steps": 40, "Hires upscale": 1.5, "Denoising strength": 0.35, "Size": "512x768", "Clip skip": 2,
             "Model": "v1-5-pruned-emaonly.safetensors [6ce0161689]", "VAE": "None"}
    assert to_p_values(final) == {
        "steps": 40, "hr_scale": 1.5, "denoising_strength": 0.35, "width": 512, "height": 768,
        "enable_hr": True, "hr_resize_x": 0, "hr_resize_y": 0,
    }
    assert to_api_values(final) == to_p_values(final)
    assert to_override_settings(final) == {
        "CLIP_stop_at_last_layers": 2, "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors [6ce0161689]",
        "sd_vae": "None",
    }
    assert to_infotext_params(final)["Size"] == "512x768"
    resize = {"Hires resize": "1024x1536", "Hires upscaler": "Latent", "Sampler": "Euler a", "Batch count": 4}
    assert to_p_values(resize) == {"hr_resize_x": 1024, "hr_resize_y": 1536, "hr_upscaler": "Latent",
                                   "sampler_name": "Euler a", "n_iter": 4, "enable_hr": True}
    assert to_infotext_params(resize) == {"Sampler": "Euler a", "Batch count": "4", "Hires resize-1": "1024",
                                          "Hires resize-2": "1536", "Hires upscaler": "Latent"}
    assert to_p_values({"Steps": 20}) == {"steps": 20}  # no hires key, no enable_hr


def test_model_scope_matching() -> None:
    title = "v1-5-pruned-emaonly.safetensors [6ce0161689]"
    assert scope_matches("v1-5-pruned-emaonly", title, None)
    assert scope_matches("V1-5-PRUNED-EMAONLY.safetensors", "v1-5-pruned-emaonly", None)
    assert scope_matches("6ce0161689", None, "6ce0161689")
    assert scope_matches("6ce01616", title, None)  # short hash prefix of the title's hash
    assert scope_matches("6ce0161689", None, "6ce0161689" + "a" * 54)
    assert not scope_matches("6ce0", None, "6ce0161689")  # too short to mean a hash
    assert not scope_matches("sdxl", title, "6ce0161689")
    assert not scope_matches(None, title, "6ce0161689")


def test_starters_are_the_eight_from_field_practice(catalog: HostCatalog) -> None:
    by_name = {profile.name: profile for profile in STARTER_PROFILES}
    assert list(by_name) == [
        "Creative", "Balanced", "Strict adherence", "Euler a · 20 steps", "DPM++ 2M Karras · 30 steps",
        "Composition draft", "Final render", "Production batch 512²",
    ]
    assert all(p.starter and p.description and p.usable for p in STARTER_PROFILES)
    assert [by_name[n].settings["CFG scale"] for n in ("Creative", "Balanced", "Strict adherence")] == [5, 7, 12]
    assert by_name["DPM++ 2M Karras · 30 steps"].settings == {"Sampler": "DPM++ 2M", "Schedule type": "Karras",
                                                              "Steps": 30}
    assert by_name["Final render"].settings == {"Steps": 40, "Hires upscale": 1.5, "Denoising strength": 0.35}
    assert by_name["Production batch 512²"].settings == {"Sampler": "DPM++ 2M", "Steps": 25, "CFG scale": 7,
                                                         "Size": "512x512"}
    assert "locked seed" in by_name["Composition draft"].description
    for profile in STARTER_PROFILES:  # every starter applies on a stock v1.10 host
        assert normalise_settings(profile.settings, catalog) == profile.settings
