// ParamLab: browser-side helpers. A1111 loads every javascript/*.js file into one global scope,
// so everything here lives under one namespaced object.
(function () {
    "use strict";
    window.paramlab = window.paramlab || {};
    // Later features (seed lock button beside the seed field) attach here through onUiLoaded.
})();
