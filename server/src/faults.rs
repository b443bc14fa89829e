//! Faults injected into UploadPart requests, set through `/_admin/faults`.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Answer with this status and an OSS error document.
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
/// `count` times). Neither means the next one.
#[derive(Debug, Deserialize)]
pub struct Rule {
    #[serde(flatten)]
    pub action: Action,
    pub count: Option<u64>,
    pub fraction: Option<f64>,
}

#[derive(Default)]
pub struct Faults {
    rule: Option<Rule>,
    seen: u64,
}

impl Faults {
    pub fn set(&mut self, rule: Option<Rule>) {
        self.rule = rule;
        self.seen = 0;
    }

    /// Decides the fate of one UploadPart request.
    pub fn next(&mut self) -> Option<Action> {
        let rule = self.rule.as_mut()?;
        let hit = match rule.fraction {
            Some(f) => {
                self.seen += 1;
                (self.seen as f64 * f).floor() > ((self.seen - 1) as f64 * f).floor()
            }
            None => true,
        };
        if !hit {
            return None;
        }
        let action = rule.action;
        match rule.count.as_mut() {
            Some(0) => {
                self.rule = None;
                return None;
            }
            Some(n) => *n -= 1,
            None if rule.fraction.is_none() => self.rule = None,
            None => {}
        }
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Faults {
        let mut faults = Faults::default();
        faults.set(Some(serde_json::from_str(json).unwrap()));
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
}
