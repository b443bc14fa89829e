//! Faults injected into UploadPart requests, set through `/_admin/faults`: one rule, or several
//! at once (the first rule that picks a request decides its fate).

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Answer with this status and an OSS error document; 403 answers `AccessDenied`.
    Fail { status: u16 },
    /// Drop the connection with a TCP reset before answering.
    Reset,
    /// Wait this long, then handle the request normally.
    Stall {
        #[serde(rename = "ms")]
        millis: u64,
    },
}

/// One rule: which action, and for which requests: the next `count`, or a `fraction` of them
/// (spread evenly, so a test sees the same pattern every run), or both (a fraction, at most
/// `count` times). Neither means the next one. The broken answers (crate::broken) are picked
/// by the same rules.
#[derive(Debug, Deserialize)]
pub struct Rule<A = Action> {
    #[serde(flatten)]
    pub action: A,
    pub count: Option<u64>,
    pub fraction: Option<f64>,
}

/// What a test control takes: one rule, or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<R> {
    One(R),
    Many(Vec<R>),
}

impl<R> OneOrMany<R> {
    pub fn into_vec(self) -> Vec<R> {
        match self {
            OneOrMany::One(rule) => vec![rule],
            OneOrMany::Many(rules) => rules,
        }
    }
}

/// What `/_admin/faults` (and `/_admin/broken`) takes.
pub type Rules<A = Action> = OneOrMany<Rule<A>>;

/// A rule and how many requests it has seen.
struct Active<A> {
    rule: Rule<A>,
    seen: u64,
}

impl<A> Active<A> {
    /// Whether the rule picks this request; false once it is used up.
    fn picks(&mut self) -> bool {
        let rule = &mut self.rule;
        if rule.count == Some(0) {
            return false;
        }
        let hit = match rule.fraction {
            Some(f) => {
                self.seen += 1;
                (self.seen as f64 * f).floor() > ((self.seen - 1) as f64 * f).floor()
            }
            None => true,
        };
        if hit {
            match rule.count.as_mut() {
                Some(n) => *n -= 1,
                // Without a count or a fraction, a rule is for the next request only.
                None if rule.fraction.is_none() => rule.count = Some(0),
                None => {}
            }
        }
        hit
    }
}

pub struct Faults<A = Action> {
    rules: Vec<Active<A>>,
}

impl<A> Default for Faults<A> {
    fn default() -> Self {
        Faults { rules: Vec::new() }
    }
}

impl<A: Copy> Faults<A> {
    pub fn set(&mut self, rules: Vec<Rule<A>>) {
        self.rules = rules
            .into_iter()
            .map(|rule| Active { rule, seen: 0 })
            .collect();
    }

    /// Decides the fate of one UploadPart request. Every rule sees every request, so that
    /// each one's fraction holds on its own.
    pub fn next(&mut self) -> Option<A> {
        self.next_of(|_| true)
    }

    /// Decides the fate of one request of those the rules whose action `concerns` it are for.
    pub fn next_of(&mut self, concerns: impl Fn(&A) -> bool) -> Option<A> {
        let mut action = None;
        for active in self.rules.iter_mut().filter(|a| concerns(&a.rule.action)) {
            if active.picks() && action.is_none() {
                action = Some(active.rule.action);
            }
        }
        self.rules.retain(|a| a.rule.count != Some(0));
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Faults<Action> {
        let mut faults = Faults::default();
        faults.set(
            serde_json::from_str::<Rules<Action>>(json)
                .unwrap()
                .into_vec(),
        );
        faults
    }

    #[test]
    fn next_n_then_nothing() {
        let mut f = rule(r#"{"action":"fail","status":503,"count":2}"#);
        let got: Vec<_> = (0..4).map(|_| f.next()).collect();
        let fail = Some(Action::Fail { status: 503 });
        assert_eq!(got, vec![fail, fail, None, None]);
    }

    #[test]
    fn no_count_means_just_the_next_one() {
        let mut f = rule(r#"{"action":"reset"}"#);
        assert_eq!(f.next(), Some(Action::Reset));
        assert_eq!(f.next(), None);
    }

    #[test]
    fn fraction_is_exact_over_a_run() {
        let mut f = rule(r#"{"action":"stall","ms":5,"fraction":0.3}"#);
        let hits = (0..100).filter(|_| f.next().is_some()).count();
        assert_eq!(hits, 30);
    }

    #[test]
    fn fraction_with_count_stops_at_count() {
        let mut f = rule(r#"{"action":"fail","status":500,"fraction":0.5,"count":3}"#);
        let hits = (0..100).filter(|_| f.next().is_some()).count();
        assert_eq!(hits, 3);
    }

    #[test]
    fn several_rules_at_once_each_keep_their_own_pattern() {
        let mut f =
            rule(r#"[{"action":"reset","fraction":0.2},{"action":"stall","ms":9,"count":1}]"#);
        let got: Vec<_> = (0..10).map(|_| f.next()).collect();
        let stall = Some(Action::Stall { millis: 9 });
        let reset = Some(Action::Reset);
        assert_eq!(
            got,
            vec![stall, None, None, None, reset, None, None, None, None, reset]
        );
    }
}
