// ParamLab: what a vote sends along. Runs in the browser on every vote button's click (and so on every key
// vote, which clicks the button), before the server is asked: it puts the token of the pair that is on view
// now, and only once both pictures have loaded, into the vote. The server counts the vote only when that
// token is the pair it showed last, so a second click or key press that lands while the next pair is still
// on its way never votes on a pair the judge has not seen.
(name, onView, seen) => {
    const app = typeof gradioApp === "function" ? gradioApp() : document;
    const pair = app.querySelector("#paramlab-ab-pair [data-pair]") || document.querySelector("#paramlab-ab-pair [data-pair]");
    const loaded = pair !== null && pair.offsetParent !== null
        && Array.from(pair.querySelectorAll("img")).every((img) => img.complete);
    return [name, onView, loaded ? pair.getAttribute("data-pair") : ""];
}
