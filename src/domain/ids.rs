//! Typed database identifiers, so a user id cannot be passed as a role id.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Identifier of a user account.
    UserId
);
id_type!(
    /// Identifier of a role.
    RoleId
);
id_type!(
    /// Identifier of a role request.
    RoleRequestId
);
id_type!(
    /// Identifier of an organisation.
    OrgId
);
id_type!(
    /// Identifier of a group.
    GroupId
);
id_type!(
    /// Identifier of a custom field definition.
    FieldId
);
id_type!(
    /// Identifier of an application.
    AppId
);
id_type!(
    /// Identifier of an API token.
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_as_their_number() {
        assert_eq!(UserId(42).to_string(), "42");
        assert_eq!(RoleId(-1).to_string(), "-1");
        assert_eq!(RoleRequestId(7).to_string(), "7");
    }

    #[test]
    fn ids_compare_by_their_number() {
        assert!(UserId(1) < UserId(2));
        assert_eq!(RoleId(3), RoleId(3));
    }
}
