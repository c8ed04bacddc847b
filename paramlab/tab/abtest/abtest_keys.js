// ParamLab: the keyboard of blind A/B judging. ← left is better, → right is better, = tie, s skip.
// Installed once by a browser-only page-load event; a key counts only while the pair is on view and the
// focus is not in a text field, so typing a test's name never votes. One press is one vote: a key held
// down votes once (its auto-repeats, KeyboardEvent.repeat, and any further keydown before its keyup are
// ignored), so holding an arrow never votes on the pairs that follow unseen. The vote itself carries the
// token of the pair on view (abtest_vote.js), which the server checks.
() => {
    const paramlab = (window.paramlab = window.paramlab || {});
    if (paramlab.abKeysInstalled) return;
    paramlab.abKeysInstalled = true;
    const app = () => (typeof gradioApp === "function" ? gradioApp() : document);
    const pick = (selector) => app().querySelector(selector) || document.querySelector(selector);
    const buttons = {ArrowLeft: "left", ArrowRight: "right", "=": "tie", s: "skip", S: "skip"};
    const held = new Set();  // keys that voted and are not released yet (by code, else by key)
    const keyOf = (event) => event.code || event.key;
    document.addEventListener("keyup", (event) => held.delete(keyOf(event)));
    window.addEventListener("blur", () => held.clear());  // a keyup in another window never reaches us
    document.addEventListener("keydown", (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        const choice = buttons[event.key];
        if (!choice) return;
        const target = event.target;
        if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
        const pair = pick("#paramlab-ab-pair .paramlab-ab-images");
        const button = pick(`#paramlab-ab-${choice}`);
        if (!pair || !button || pair.offsetParent === null || button.disabled) return;
        event.preventDefault();  // also for an ignored repeat: an arrow must not scroll the page instead
        if (event.repeat || held.has(keyOf(event))) return;
        held.add(keyOf(event));
        button.click();
    });
}
