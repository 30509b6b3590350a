//! itas-core: the pure domain of itas.
//!
//! Framework files, the exact scoring engine, the analysis an agency report
//! is written from, and Thai formatting. No I/O, no async: everything here is
//! a function of its arguments, so every backend and every report agrees.

/// A closed set of values with a stable code and Thai and English names.
macro_rules! closed_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $th:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code stored in the database and used in files.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            pub fn name_th(self) -> &'static str { match self { $($name::$variant => $th),+ } }
            pub fn name_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            /// Accepts the code, the Thai name or the English name.
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == t || v.name_th() == t || v.name_en().eq_ignore_ascii_case(t))
                    .ok_or_else(|| format!("unknown {} '{}'", stringify!($name), t))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.code()) }
        }
    };
}

pub mod analysis;
pub mod compare;
pub mod directory;
pub mod evidence;
pub mod exact;
pub mod framework;
pub mod history;
pub mod oit;
pub mod parts;
pub mod quality;
pub mod report_check;
pub mod sample;
pub mod scoring;
pub mod survey;
pub mod thai;

pub use exact::{Exact, Score};
pub use framework::Framework;
pub use scoring::{Inputs, ItemTally, Scorecard, ScoringError, score};

#[cfg(test)]
mod fuzz;
