// Not JavaScript: ESLint cannot parse it.
function (
