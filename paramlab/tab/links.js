// ParamLab: links that open one image in the ledger view in place ("#paramlab-image=<id>").
// Installed once by the page-load event of the ledger view (the WebUI tab and the standalone page
// alike); returns the page's own "?image=" for the server's load handler. A fragment link never
// reloads the page, so nothing typed in txt2img (prompt, size, script, seed lock) is lost.
(current) => {
    const paramlab = (window.paramlab = window.paramlab || {});
    if (!paramlab.imageLinksInstalled) {
        paramlab.imageLinksInstalled = true;
        const app = () => (typeof gradioApp === "function" ? gradioApp() : document);
        const pick = (selector) => app().querySelector(selector) || document.querySelector(selector);
        paramlab.openImage = (id) => {
            // In the WebUI, bring the ParamLab tab to the front; the standalone page has no such tab bar.
            for (const button of app().querySelectorAll("#tabs > .tab-nav > button")) {
                if (button.textContent.trim() === "ParamLab") {
                    if (!button.classList.contains("selected")) button.click();
                    break;
                }
            }
            const ledgerTab = pick("#paramlab-tab > .tab-nav > button");
            if (ledgerTab && !ledgerTab.classList.contains("selected")) ledgerTab.click();
            const box = pick("#paramlab_selected_image textarea, #paramlab_selected_image input");
            if (!box) return;
            box.value = String(id);
            box.dispatchEvent(new Event("input", {bubbles: true}));
            const detail = pick("#paramlab-ledger-detail");
            if (detail) setTimeout(() => detail.scrollIntoView({block: "nearest"}), 50);
        };
        const openFromHash = () => {
            const match = /^#paramlab-image=(\d+)$/.exec(window.location.hash);
            if (!match) return;
            // Drop the fragment again, so the same point can be clicked twice and Back stays on the page.
            history.replaceState(null, "", window.location.pathname + window.location.search);
            paramlab.openImage(Number(match[1]));
        };
        window.addEventListener("hashchange", openFromHash);
        openFromHash();
    }
    return new URLSearchParams(window.location.search).get("image") || "";
}
