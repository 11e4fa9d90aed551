//! The device verification page, `/device` (RFC 8628 §3.3): the `verification_uri` a
//! device shows. The user signs in here (the login page's form and limits), types the
//! code the device shows (prefilled from `verification_uri_complete`, §3.3.1, still to
//! be confirmed), sees which client asks for what, and approves or denies.
//!
//! One path, three forms, told apart by `step`: `sign_in`, `code` and `decide`. Each is
//! CSRF-protected like every form here (a token bound to its purpose and the browser); the
//! decision's token is bound to the code as well, and is only ever shown after a look-up
//! of that code passed its limit. Every look-up of a typed code counts against the
//! browser, the address and the account first (`op::throttle::user_code_attempt`, RFC 8628
//! §5.1), and only a signed-in user may look one up.

use crate::Error;
use crate::op::clients::registry;
use crate::op::device::pages::{self as device_pages, ApprovePage, CodePage};
use crate::op::device::{self, Lookup, user_code};
use crate::op::endpoints::login::{self, PageForm};
use crate::op::flow;
use crate::op::form::{self, Params};
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView};
use crate::op::password::Pbkdf2;
use crate::op::pending;
use crate::op::provider::{Provider, Services};
use crate::op::records::Session;
use crate::op::throttle::{self, Verdict};
use crate::store::Store;

/// The CSRF purposes of the three forms.
const SIGN_IN: &str = "device sign-in";
const CODE: &str = "device code";
const DECIDE: &str = "device decision";

const EXPIRED: &str = "The form expired. Open the page again and enter the code.";
/// What signing in here is for, as the sign-in form says.
const PURPOSE: &str = "to connect a device";
const UNKNOWN: &str = "That code is not valid, or it has expired. Check the code on your device, or start again there.";
const ANSWERED: &str = "That code has already been used.";

/// Handles `/device`.
pub async fn handle<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let response = flow::browser_page(op, req, async |params, browser| {
        let page = Page {
            op,
            req,
            params,
            browser,
        };
        if req.method == "GET" {
            page.show(services).await
        } else {
            page.submit(services).await
        }
    });
    flow::page_or_error(response.await)
}

/// One request to the page.
struct Page<'a> {
    op: &'a Provider,
    req: &'a Request,
    params: &'a Params,
    /// The browser-binding cookie's value (new if the request had none).
    browser: &'a str,
}

impl Page<'_> {
    /// `GET`: the sign-in form, or the code form for a signed-in user.
    async fn show<S: Store, P, V>(
        &self,
        services: &Services<'_, S, P, V>,
    ) -> Result<Response, Error> {
        if flow::session(self.op, self.req, services).await?.is_none() {
            return Ok(self.sign_in_form());
        }
        let prefill = self.typed_code().map(|code| user_code::display(&code));
        let prefill = prefill.as_deref().unwrap_or_default();
        Ok(self.code_form(prefill, None, 200))
    }

    /// `POST`: one of the three forms.
    async fn submit<S: Store, P: Pbkdf2, V>(
        &self,
        services: &Services<'_, S, P, V>,
    ) -> Result<Response, Error> {
        let step = self.params.get("step").unwrap_or_default();
        let purpose = match step {
            "sign_in" => SIGN_IN,
            "code" => CODE,
            "decide" => DECIDE,
            _ => {
                return Ok(pages::error(
                    400,
                    "invalid_request",
                    "step must be sign_in, code or decide",
                ));
            }
        };
        // The decision's token is bound to the code it was shown for.
        let bound_to = if step == "decide" {
            self.typed_code().unwrap_or_default()
        } else {
            String::new()
        };
        let csrf = self.params.get("csrf").unwrap_or_default();
        if !self
            .op
            .secrets
            .csrf_valid(csrf, purpose, &bound_to, self.browser)
        {
            return Ok(pages::error(403, "invalid_request", EXPIRED));
        }
        if step == "sign_in" {
            return self.sign_in(services).await;
        }
        let Some(session) = flow::session(self.op, self.req, services).await? else {
            return Ok(self.back_here());
        };
        if step == "code" {
            self.look_up(&session, services).await
        } else {
            self.decide(&session, services).await
        }
    }

    /// The sign-in form's submission: the login page's sign-in, then back here.
    async fn sign_in<S: Store, P: Pbkdf2, V>(
        &self,
        services: &Services<'_, S, P, V>,
    ) -> Result<Response, Error> {
        let (hidden, csrf) = self.sign_in_fields();
        let hidden: Vec<(&str, &str)> = hidden.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let form = PageForm {
            action: device_pages::ACTION,
            purpose: PURPOSE,
            hidden: hidden.as_slice(),
            csrf: csrf.as_str(),
        };
        Ok(
            match login::page_sign_in(self.op, self.req, self.params, form, services).await? {
                Ok(cookie) => self.back_here().with_header("set-cookie", &cookie),
                Err(form_again) => form_again,
            },
        )
    }

    /// The code form's submission: counted, then looked up; the approval form if the code
    /// names a pending request.
    async fn look_up<S: Store, P, V>(
        &self,
        session: &Session,
        services: &Services<'_, S, P, V>,
    ) -> Result<Response, Error> {
        let typed = self.params.get("user_code").unwrap_or_default();
        let shown = user_code::normalize(typed).map(|code| user_code::display(&code));
        let shown = shown.as_deref().unwrap_or(typed);
        let verdict = throttle::user_code_attempt(
            services.store,
            self.req,
            self.browser,
            &session.sub,
            services.now,
        )
        .await?;
        if let Verdict::Refused { retry_after } = verdict {
            let minutes = retry_after.div_ceil(60);
            let message = format!("Too many codes tried. Try again in {minutes} minutes.");
            return Ok(login::too_many_attempts(
                self.code_form(shown, Some(&message), 429),
                retry_after,
            ));
        }
        let request = match device::by_user_code(typed, services).await? {
            Lookup::Pending(request) => request,
            Lookup::Answered => return Ok(self.code_form(shown, Some(ANSWERED), 400)),
            Lookup::Unknown => return Ok(self.code_form(shown, Some(UNKNOWN), 400)),
        };
        let Some(code) = user_code::normalize(typed) else {
            return Ok(self.code_form(shown, Some(UNKNOWN), 400));
        };
        let scopes: Vec<(&str, Option<&str>)> = request
            .scope
            .names()
            .map(|scope| (scope, self.op.config.scope_description(scope)))
            .collect();
        let registered = registry::find(self.op, &request.client_id, services).await?;
        let client = registered
            .as_deref()
            .map_or_else(|| ClientView::bare(&request.client_id), ClientView::of);
        Ok(device_pages::approve(&ApprovePage {
            csrf: &self.op.secrets.csrf_token(DECIDE, &code, self.browser),
            user_code: &user_code::display(&code),
            client,
            provider_name: &self.op.config.provider_name,
            scopes: &scopes,
        }))
    }

    /// The approval form's submission: the answer, recorded once.
    async fn decide<S: Store, P, V>(
        &self,
        session: &Session,
        services: &Services<'_, S, P, V>,
    ) -> Result<Response, Error> {
        let answer = match flow::page_decision(self.params, session) {
            Ok(answer) => answer,
            Err(error_page) => return Ok(error_page),
        };
        // The token says this browser was shown this code after a counted look-up: this
        // one is not counted again.
        let typed = self.params.get("user_code").unwrap_or_default();
        let request = match device::by_user_code(typed, services).await? {
            Lookup::Pending(request) => request,
            Lookup::Answered => return Ok(self.code_form(typed, Some(ANSWERED), 400)),
            Lookup::Unknown => return Ok(self.code_form(typed, Some(UNKNOWN), 400)),
        };
        if !pending::decide(&request.pending(self.op), &answer, services).await? {
            return Ok(self.code_form(typed, Some(ANSWERED), 400));
        }
        Ok(device_pages::answered(answer.approved))
    }

    /// The normalized code the request names, if it names a well-formed one.
    fn typed_code(&self) -> Option<String> {
        self.params.get("user_code").and_then(user_code::normalize)
    }

    /// A 303 to this page again, with the code typed so far.
    fn back_here(&self) -> Response {
        match self.typed_code() {
            Some(code) => flow::redirect_to(
                device_pages::ACTION,
                &[("user_code", user_code::display(&code).as_str())],
            ),
            None => Response::redirect(device_pages::ACTION).no_store(),
        }
    }

    /// The sign-in form's hidden fields (the code typed so far, if any) and CSRF token.
    fn sign_in_fields(&self) -> ([(&'static str, String); 2], String) {
        let code = self
            .typed_code()
            .map(|code| user_code::display(&code))
            .unwrap_or_default();
        let csrf = self.op.secrets.csrf_token(SIGN_IN, "", self.browser);
        ([("step", "sign_in".to_owned()), ("user_code", code)], csrf)
    }

    /// The sign-in form.
    fn sign_in_form(&self) -> Response {
        let (hidden, csrf) = self.sign_in_fields();
        let hidden: Vec<(&str, &str)> = hidden
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        let form = PageForm {
            action: device_pages::ACTION,
            purpose: PURPOSE,
            hidden: &hidden,
            csrf: &csrf,
        };
        login::page_sign_in_form(self.op, form, None)
    }

    /// The code form.
    fn code_form(&self, user_code: &str, error: Option<&str>, status: u16) -> Response {
        device_pages::code(&CodePage {
            csrf: &self.op.secrets.csrf_token(CODE, "", self.browser),
            user_code,
            provider_name: &self.op.config.provider_name,
            error,
            status,
        })
    }
}

/// `/device` with a code in the query, as `verification_uri_complete` (RFC 8628 §3.3.1).
pub fn complete_uri(issuer: &str, user_code: &str) -> String {
    format!(
        "{issuer}{}?{}",
        device_pages::ACTION,
        form::encode(&[("user_code", &user_code::display(user_code))])
    )
}
