//! The web view at `/`: a page, its script and its style sheet, embedded in the binary (no
//! build step, nothing fetched from elsewhere). The page holds no data and needs no token; it
//! asks the REST API, with the token the user gives it (pasted, or in the address as
//! `#token=...`, which never reaches the server), for everything it shows: recall and search,
//! an entity's neighbourhood as a graph, a fact's proof as a tree, the violations, and the rule
//! files with what each rule derived. It only reads.

use axum::Router;
use axum::response::IntoResponse;
use http::header;

/// The page and its assets: path, media type, contents.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("web/index.html"),
    ),
    (
        "/ui/app.js",
        "text/javascript; charset=utf-8",
        include_str!("web/app.js"),
    ),
    (
        "/ui/style.css",
        "text/css; charset=utf-8",
        include_str!("web/style.css"),
    ),
];

/// Whether `path` is one of the web view's assets (served without a token).
pub(crate) fn is_asset(path: &str) -> bool {
    ASSETS.iter().any(|(p, _, _)| *p == path)
}

/// The routes of the assets. Each answer forbids scripts and styles from anywhere but this
/// server, and framing by other pages.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(mut router: Router<S>) -> Router<S> {
    for &(path, kind, body) in ASSETS {
        let answer = move || async move {
            let policy = "default-src 'none'; script-src 'self'; style-src 'self'; \
                          connect-src 'self'; img-src 'self'; frame-ancestors 'none'; \
                          base-uri 'none'; form-action 'none'";
            (
                [
                    (header::CONTENT_TYPE, kind),
                    (header::CONTENT_SECURITY_POLICY, policy),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        };
        router = router.route(path, axum::routing::get(answer));
    }
    router
}
