//! Statuses are decoded once, where rows are read: a stored value that is not
//! a known status is an error, never a silent default.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type};

use crate::domain::dto::{ItemKind, TokenScope};
use crate::domain::status::{RunStatus, Status};

macro_rules! text_enum {
    ($ty:ty, $what:literal) => {
        impl Type<Any> for $ty {
            fn type_info() -> AnyTypeInfo {
                <&str as Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <&str as Type<Any>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Any> for $ty {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Any>>::decode(value)?;
                <$ty>::parse(text).ok_or_else(|| format!("unknown {} {text:?}", $what).into())
            }
        }
    };
}

text_enum!(Status, "dataset status");
text_enum!(RunStatus, "run status");
text_enum!(TokenScope, "token scope");
text_enum!(ItemKind, "item kind");
