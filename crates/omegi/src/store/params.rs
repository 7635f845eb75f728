//! Query-building helpers. Numbered parameters for queries whose WHERE clause depends on the filters given. sqlx's
//! `QueryBuilder` writes `?` for the Any driver, which PostgreSQL does not accept, so this
//! numbers `$1, $2, …` itself.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

#[derive(Default)]
pub struct Params {
    args: AnyArguments<'static>,
    count: usize,
}

impl Params {
    /// Binds `value` and returns its placeholder.
    pub fn int(&mut self, value: i64) -> String {
        self.args.add(value).expect("binding an i64 cannot fail");
        self.next()
    }

    /// Binds any value the Any driver takes (an `Option` binds NULL) and returns its
    /// placeholder.
    pub fn value<T>(&mut self, value: T) -> String
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.args.add(value).expect("binding a value cannot fail");
        self.next()
    }

    /// Binds each id and returns the placeholders for an `IN (…)` list.
    pub fn ints(&mut self, ids: &[i64]) -> String {
        let list: Vec<String> = ids.iter().map(|id| self.int(*id)).collect();
        list.join(", ")
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.args
            .add(value.into())
            .expect("binding a string cannot fail");
        self.next()
    }

    fn next(&mut self) -> String {
        self.count += 1;
        format!("${}", self.count)
    }

    pub fn into_args(self) -> AnyArguments<'static> {
        self.args
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
