//! Pure domain model of Gatehouse: value types, validation and business rules.
//!
//! Nothing in here performs I/O, reads the clock (except `Timestamp::now`) or knows about HTTP or SQL.

pub mod app;
pub mod audit;
pub mod audit_chain;
pub mod common_passwords;
pub mod custom_field;
pub mod email;
pub mod error;
pub mod full_name;
pub mod group;
pub mod ids;
pub mod invitation;
pub mod keys;
pub mod link;
pub mod lockout;
pub mod mail;
pub mod metadata;
pub mod note;
pub mod notification;
pub mod oidc;
pub mod organisation;
pub mod pagination;
pub mod password;
pub mod permission;
pub mod phone;
pub mod role;
pub mod role_request;
pub mod scope;
pub mod session;
pub mod status;
pub mod timestamp;
pub mod token;
pub mod user;
pub mod user_list;
pub mod username;

pub use app::{AccessRule, App, AppHost, AppSlug, Refusal};
pub use audit::{AuditAction, sanitize_for_log};
pub use custom_field::{FieldDefinition, FieldKey, FieldKind};
pub use email::Email;
pub use error::{FieldError, RuleError};
pub use full_name::FullName;
pub use group::{Group, GroupMember, GroupName, PermissionSource};
pub use ids::{AppId, FieldId, GroupId, OrgId, RoleId, RoleRequestId, TokenId, UserId};
pub use keys::{case_key, login_key, search_key};
pub use lockout::{LockoutPolicy, ThrottleState};
pub use metadata::{Metadata, Writer};
pub use note::Note;
pub use organisation::{DEFAULT_ORGANISATION, HostName, OrgName, OrgSlug, OrgStatus, Organisation};
pub use pagination::{Page, page_count};
pub use password::{PasswordPolicy, PasswordRejection, PasswordRule, passwords_match};
pub use permission::{
    ADMIN_PERMISSIONS, Permission, PermissionSet, ensure_administrators_remain, ensure_not_self,
};
pub use phone::Phone;
pub use role::{DEFAULT_ROLES, Role, RoleName, RoleUsage};
pub use role_request::{
    Justification, RoleRequest, RoleRequestDecision, RoleRequestStatus, ensure_different_role,
};
pub use scope::Scope;
pub use status::{StatusAction, UserStatus};
pub use timestamp::Timestamp;
pub use user::{AuthUser, Credentials, Deletion, User};
pub use username::Username;
