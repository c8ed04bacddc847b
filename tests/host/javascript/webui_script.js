// TEST HELPER (not in A1111): the parts of A1111 v1.10.1's script.js and ui.js that extensions use,
// with the same names and timing: gradioApp(), onUiLoaded (once #txt2img_prompt exists), onUiUpdate
// (every DOM mutation), onUiTabChange, get_uiCurrentTab(), switch_to_txt2img().
(function () {
    "use strict";
    window.gradioApp = function () {
        const elems = document.getElementsByTagName("gradio-app");
        const elem = elems.length === 0 ? document : elems[0];
        return elem.shadowRoot ? elem.shadowRoot : elem;
    };
    const loaded = [], updates = [], tabChanges = [];
    window.onUiLoaded = (callback) => loaded.push(callback);
    window.onUiUpdate = (callback) => updates.push(callback);
    window.onUiTabChange = (callback) => tabChanges.push(callback);
    window.get_uiCurrentTab = () => gradioApp().querySelector("#tabs > .tab-nav > button.selected");
    window.switch_to_txt2img = function () {
        gradioApp().querySelector("#tabs").querySelectorAll("button")[0].click();
        return Array.from(arguments);
    };
    const run = (callbacks, argument) => callbacks.forEach((callback) => {
        try { callback(argument); } catch (error) { console.error(error); }
    });
    let executedOnLoaded = false, currentTab = null;
    document.addEventListener("DOMContentLoaded", () => {
        new MutationObserver((mutations) => {
            if (!executedOnLoaded && gradioApp().querySelector("#txt2img_prompt")) {
                executedOnLoaded = true;
                run(loaded);
            }
            run(updates, mutations);
            const tab = get_uiCurrentTab();
            if (tab && tab !== currentTab) {
                currentTab = tab;
                run(tabChanges);
            }
        }).observe(gradioApp(), {childList: true, subtree: true});
    });
})();
