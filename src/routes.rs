//! The whole route table. `ROUTES` lists every (method, path) pair so the
//! access-matrix test can prove it covers each one; it is generated from the
//! same table that registers the handlers, so the two cannot drift apart.

use actix_web::web;

use crate::web::{
    account, admin, api, auth, email, forward_auth, invitation, notifications, oidc,
    password_reset, profile, registration, sessions, system, tokens,
};

macro_rules! route_table {
    ($( $path:literal => { $( $method:ident : $handler:path ),+ $(,)? } )*) => {
        /// Every route as (method, path pattern).
        pub const ROUTES: &[(&str, &str)] = &[ $( $( (stringify!($method), $path), )+ )* ];

        /// Registers every route; a wrong method on a known path gets 405.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        $( .route(web::$method().to($handler)) )+
                        .default_service(web::to(system::method_not_allowed)),
                );
            )*
        }
    };
}

route_table! {
    "/healthz" => { get: system::healthz }
    "/static/app.css" => { get: system::stylesheet }
    "/favicon.ico" => { get: system::favicon }
    "/login" => { get: auth::login_form, post: auth::login }
    "/logout" => { post: auth::logout }
    "/register" => { get: registration::register_form, post: registration::register }
    "/o/{slug}/login" => { get: auth::login_form, post: auth::login }
    "/o/{slug}/register" => { get: registration::register_form, post: registration::register }
    "/pending" => { get: auth::pending }
    "/password/forgot" => { get: password_reset::forgot_form, post: password_reset::forgot }
    "/o/{slug}/password/forgot" => { get: password_reset::forgot_form, post: password_reset::forgot }
    "/password/reset" => { get: password_reset::reset_form, post: password_reset::reset }
    "/email/verify" => { get: email::verify }
    "/invitations/accept" => { get: invitation::form, post: invitation::accept }
    "/email/verify/resend" => { post: email::resend }
    "/account/email" => { post: profile::change_email }
    "/notifications" => { get: notifications::list }
    "/notifications/read-all" => { post: notifications::read_all }
    "/notifications/{id}/read" => { post: notifications::read_one }
    "/account/notifications" => { get: notifications::settings, post: notifications::save_settings }
    "/auth/verify" => { get: forward_auth::verify }
    "/auth/denied" => { get: forward_auth::denied_page }
    "/.well-known/openid-configuration" => { get: oidc::discovery }
    "/o/{slug}/.well-known/openid-configuration" => { get: oidc::discovery }
    "/oauth/jwks" => { get: oidc::jwks }
    "/oauth/authorize" => { get: oidc::authorize::authorize, post: oidc::authorize::authorize }
    "/oauth/token" => { post: oidc::endpoints::token }
    "/oauth/userinfo" => { get: oidc::endpoints::userinfo, post: oidc::endpoints::userinfo }
    "/oauth/revoke" => { post: oidc::endpoints::revoke }
    "/oauth/logout" => { get: oidc::logout::logout, post: oidc::logout::logout }
    "/" => { get: account::home }
    "/account/password" => { get: account::password_form, post: account::change_password }
    "/account/profile" => { get: profile::form, post: profile::save }
    "/account/role-request" => { get: account::role_request_form, post: account::submit_role_request }
    "/account/role-request/{id}/withdraw" => { post: account::withdraw_role_request }
    "/account/sessions" => { get: sessions::list }
    "/account/tokens" => { get: tokens::personal, post: tokens::create_personal }
    "/account/tokens/{id}/revoke" => { post: tokens::revoke_personal }
    "/admin/tokens" => { get: tokens::service, post: tokens::create_service }
    "/admin/tokens/{id}/revoke" => { post: tokens::revoke_service }
    "/account/sessions/revoke-others" => { post: sessions::revoke_others }
    "/account/apps/{grant}/revoke" => { post: sessions::revoke_app }
    "/admin/users/{id}/apps/{grant}/revoke" => { post: sessions::admin_revoke_app }
    "/account/sessions/{id}/revoke" => { post: sessions::revoke_one }
    "/admin/users" => { get: admin::users::list }
    "/admin/users.csv" => { get: admin::users_export::export }
    "/admin/users/bulk" => { post: admin::users::bulk }
    "/admin/users/{id}" => { get: admin::users::detail }
    "/admin/users/{id}/approve" => { post: admin::users::approve }
    "/admin/users/{id}/reject" => { post: admin::users::reject }
    "/admin/users/{id}/disable" => { post: admin::users::disable }
    "/admin/users/{id}/enable" => { post: admin::users::enable }
    "/admin/users/{id}/role" => { post: admin::users::change_role }
    "/admin/users/{id}/unlock" => { post: admin::lockouts::unlock }
    "/admin/users/{id}/password-reset" => { post: admin::passwords::send_reset }
    "/admin/users/{id}/require-password-change" => { post: admin::passwords::require_change }
    "/admin/users/{id}/sessions/revoke" => { post: sessions::admin_revoke }
    "/admin/users/{id}/groups" => { post: admin::groups::add_user_to_group }
    "/admin/users/{id}/profile" => { post: profile::save_for }
    "/admin/users/{id}/delete" => { post: admin::deletion::delete }
    "/admin/users/{id}/restore" => { post: admin::deletion::restore }
    "/admin/role-requests" => { get: admin::role_requests::list }
    "/admin/role-requests/{id}/approve" => { post: admin::role_requests::approve }
    "/admin/role-requests/{id}/deny" => { post: admin::role_requests::deny }
    "/admin/roles" => { get: admin::roles::list, post: admin::roles::create }
    "/admin/roles/{id}" => { post: admin::roles::update }
    "/admin/groups" => { get: admin::groups::list, post: admin::groups::create }
    "/admin/groups/{id}" => { get: admin::groups::detail, post: admin::groups::update }
    "/admin/groups/{id}/delete" => { post: admin::groups::delete }
    "/admin/groups/{id}/members" => { post: admin::groups::add_member }
    "/admin/groups/{id}/members/remove" => { post: admin::groups::remove_member }
    "/admin/fields" => { get: admin::fields::list, post: admin::fields::create }
    "/admin/fields/{id}" => { post: admin::fields::update }
    "/admin/fields/{id}/delete" => { post: admin::fields::delete }
    "/admin/apps" => { get: admin::apps::list, post: admin::apps::create }
    "/admin/apps/{id}" => { get: admin::apps::detail, post: admin::apps::update }
    "/admin/apps/{id}/delete" => { post: admin::apps::delete }
    "/admin/apps/{id}/oidc" => { post: admin::app_clients::save }
    "/admin/apps/{id}/oidc/secret" => { post: admin::app_clients::rotate_secret }
    "/admin/apps/{id}/oidc/delete" => { post: admin::app_clients::remove }
    "/admin/audit" => { get: admin::audit::list }
    "/admin/outbox" => { get: admin::outbox::list }
    "/admin/settings" => { get: admin::settings::show, post: admin::settings::save }
    "/admin/invitations" => { get: admin::invitations::list, post: admin::invitations::invite }
    "/admin/invitations/{id}/resend" => { post: admin::invitations::resend }
    "/admin/invitations/{id}/revoke" => { post: admin::invitations::revoke }
    "/admin/organisations" => { get: admin::organisations::list, post: admin::organisations::create }
    "/admin/organisations/{id}" => { get: admin::organisations::detail, post: admin::organisations::rename }
    "/admin/organisations/{id}/disable" => { post: admin::organisations::disable }
    "/admin/organisations/{id}/enable" => { post: admin::organisations::enable }
    "/admin/organisations/{id}/admins" => { post: admin::organisations::create_admin }
    "/admin/audit.csv" => { get: admin::audit_export::export }
    "/api/v1/openapi.json" => { get: api::openapi::document }
    "/api/v1/me" => { get: api::directory::me }
    "/api/v1/users" => { get: api::users::list, post: api::users::create }
    "/api/v1/users/{id}" => { get: api::users::get, patch: api::users::update }
    "/api/v1/roles" => { get: api::directory::roles }
    "/api/v1/groups" => { get: api::directory::groups }
    "/api/v1/apps" => { get: api::directory::apps }
    "/api/v1/role-requests" => { get: api::requests::list }
    "/api/v1/role-requests/{id}/approve" => { post: api::requests::approve }
    "/api/v1/role-requests/{id}/deny" => { post: api::requests::deny }
    "/api/v1/audit" => { get: api::requests::audit }
}
