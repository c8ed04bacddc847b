// ParamLab: browser-side helpers. A1111 and Forge load every javascript/*.js file into one global scope,
// so everything here lives under one namespaced object. Every entry point runs through `guard`: an
// error in ParamLab's helpers is one console line, never an exception in the WebUI's own UI callbacks.
(function () {
    "use strict";
    const paramlab = (window.paramlab = window.paramlab || {});
    const reported = new Set();

    paramlab.guard = function (name, fn) {
        return function (...args) {
            try {
                return fn.apply(this, args);
            } catch (error) {
                if (!reported.has(name)) {
                    reported.add(name);
                    console.error(`ParamLab: ${name} failed; the WebUI is not affected. ${error}`);
                }
                return undefined;
            }
        };
    };

    function ourCheckbox(tab) {
        return gradioApp().querySelector(`#script_${tab}_paramlab_seed_locked input[type=checkbox]`);
    }

    function lockButton(tab) {
        return gradioApp().querySelector(`#paramlab_${tab}_seed_lock`);
    }

    // Show the lock state at a glance on the button beside A1111's Seed field.
    paramlab.refreshSeedLockButtons = paramlab.guard("the seed lock button", function () {
        for (const tab of ["txt2img", "img2img"]) {
            const button = lockButton(tab);
            const checkbox = ourCheckbox(tab);
            if (!button || !checkbox) continue;
            const locked = checkbox.checked;
            const icon = locked ? "\u{1F512}" : "\u{1F513}";
            // Only touch the DOM on a change: this runs from onUiUpdate, and every write is a mutation.
            if (button.textContent === icon) continue;
            button.textContent = icon;
            button.classList.toggle("paramlab-locked", locked);
            button.title = locked
                ? "ParamLab: the seed is locked (every run uses it). Click to unlock."
                : "ParamLab: lock the seed in the Seed field for every run (also for batches).";
        }
    });

    // Locking goes through ParamLab's own "Lock the Seed field's seed" button (the server reads the
    // field, and picks a concrete seed when it says -1); unlocking clears the checkbox.
    paramlab.toggleSeedLock = paramlab.guard("the seed lock toggle", function (tab) {
        const checkbox = ourCheckbox(tab);
        if (!checkbox) return;
        if (checkbox.checked) {
            checkbox.click();
        } else {
            const lockFromField = gradioApp().querySelector(`#script_${tab}_paramlab_seed_lock_field`);
            if (lockFromField) lockFromField.click();
        }
        setTimeout(paramlab.refreshSeedLockButtons, 300);
    });

    paramlab.addSeedLockButtons = paramlab.guard("adding the seed lock button", function () {
        for (const tab of ["txt2img", "img2img"]) {
            const seedField = gradioApp().querySelector(`#${tab}_seed`);
            if (!seedField || lockButton(tab)) continue;
            const button = document.createElement("button");
            button.id = `paramlab_${tab}_seed_lock`;
            button.type = "button";
            button.className = "lg secondary gradio-button tool paramlab-seed-lock";
            button.addEventListener("click", () => paramlab.toggleSeedLock(tab));
            const reuse = gradioApp().querySelector(`#${tab}_reuse_seed`);
            if (reuse && reuse.parentElement) {
                reuse.parentElement.insertBefore(button, reuse.nextSibling);
            } else {
                seedField.insertAdjacentElement("afterend", button);
            }
        }
        paramlab.refreshSeedLockButtons();
    });

    if (typeof onUiLoaded === "function") {
        onUiLoaded(paramlab.addSeedLockButtons);
    }
    if (typeof onUiUpdate === "function") {
        onUiUpdate(() => paramlab.refreshSeedLockButtons());
    }
})();

// A chart point links to "?image=<id>": open the ParamLab tab, whose ledger view shows that image.
(function () {
    "use strict";
    if (typeof onUiLoaded !== "function" || !window.paramlab) return;
    onUiLoaded(window.paramlab.guard("opening ?image= in the ParamLab tab", () => {
        if (!new URLSearchParams(window.location.search).get("image")) return;
        const tabButtons = gradioApp().querySelectorAll("#tabs .tab-nav button");  // gradio 3 and 4
        for (const button of tabButtons) {
            if (button.textContent.trim() === "ParamLab") {
                button.click();
                break;
            }
        }
    }));
})();
