//! The templates and view models of `routes::public`.

use crate::pages::PageCtx;
use askama::Template;

#[derive(Template)]
#[template(path = "device_check.html")]
pub(crate) struct DeviceCheckPage {
    pub(crate) ctx: PageCtx,
    pub(crate) token: String,
    pub(crate) valid: bool,
}
