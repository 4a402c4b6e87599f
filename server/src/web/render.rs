//! What every dashboard page uses to answer: an HTML response from a rendered template
//! ([`html`]), an error shown as a page with the API's status and code ([`error_page`]), the
//! page's language code ([`lang_code`]) and query-string encoding ([`enc`]).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use danvan_core::Lang;

use crate::error::{ApiError, LoggedError};
use crate::web::i18n::{Messages, messages};

/// An HTML response from a rendered template (500 if rendering failed).
pub(crate) fn html(status: StatusCode, body: askama::Result<String>) -> Response {
    match body {
        Ok(b) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            b,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    code: &'a str,
    message: &'a str,
}

/// An error shown as a page (same status and code as the API would give).
pub(crate) fn error_page(err: ApiError, lang: Lang) -> Response {
    let (vi, en) = err.code.messages();
    let page = ErrorPage {
        m: messages(lang),
        lang: lang_code(lang),
        code: err.code.as_str(),
        message: if lang == Lang::En { en } else { vi },
    };
    let mut resp = html(err.code.status(), page.render());
    // The detail (a 500's cause) goes to the log, as for JSON errors.
    resp.extensions_mut().insert(LoggedError {
        code: err.code.as_str(),
        detail: err.detail().map(str::to_string),
    });
    resp
}

/// The language's code (`vi`, `en`): the page's `lang` attribute, `?lang=` and the cookie.
pub(crate) fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// `s` encoded for a query string.
pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One value of a coded list in a `<select>`: its code and its label in the page's language.
pub(crate) struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

/// Every value of the coded list `T`, for a `<select>`.
pub(crate) fn choices<T: danvan_core::Coded>(lang: Lang) -> Vec<Choice> {
    T::all()
        .iter()
        .map(|v| Choice {
            code: v.code(),
            label: v.label().get(lang),
        })
        .collect()
}
