// ParamLab: the keyboard of blind A/B judging. ← left is better, → right is better, = tie, s skip.
// Installed once by a browser-only page-load event; a key counts only while the pair is on view and the
// focus is not in a text field, so typing a test's name never votes.
() => {
    const paramlab = (window.paramlab = window.paramlab || {});
    if (paramlab.abKeysInstalled) return;
    paramlab.abKeysInstalled = true;
    const app = () => (typeof gradioApp === "function" ? gradioApp() : document);
    const pick = (selector) => app().querySelector(selector) || document.querySelector(selector);
    const buttons = {ArrowLeft: "left", ArrowRight: "right", "=": "tie", s: "skip", S: "skip"};
    document.addEventListener("keydown", (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        const choice = buttons[event.key];
        if (!choice) return;
        const target = event.target;
        if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
        const pair = pick("#paramlab-ab-pair .paramlab-ab-images");
        const button = pick(`#paramlab-ab-${choice}`);
        if (!pair || !button || pair.offsetParent === null || button.disabled) return;
        event.preventDefault();
        button.click();
    });
}
