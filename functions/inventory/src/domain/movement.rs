//! One movement of one item, decided without I/O: which fields a kind of movement takes, and
//! what the item looks like afterwards (status, place, holder, due date, condition, whether a
//! quantity is split). The caller gathers the facts (the locked item, whether the destination
//! exists), asks [`plan`], and writes what it answers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Condition, ItemStatus, MovementKind};

/// Who has an item: a person, a performance or an event (any of them, or nobody).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holder {
    pub user_id: Option<Uuid>,
    pub performance_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
}

impl Holder {
    pub const NOBODY: Holder = Holder {
        user_id: None,
        performance_id: None,
        event_id: None,
    };

    pub fn is_nobody(&self) -> bool {
        *self == Self::NOBODY
    }
}

/// A movement request, parsed.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub kind: MovementKind,
    /// Part of a quantity item; `None` moves all of it.
    pub quantity: Option<i32>,
    pub to_location_id: Option<Uuid>,
    pub holder: Holder,
    pub due_at: Option<DateTime<Utc>>,
    pub condition: Option<Condition>,
    pub comment: Option<String>,
}

impl NewMovement {
    /// A movement of `kind` with nothing else given.
    pub fn of(kind: MovementKind) -> Self {
        Self {
            kind,
            quantity: None,
            to_location_id: None,
            holder: Holder::NOBODY,
            due_at: None,
            condition: None,
            comment: None,
        }
    }

    /// The fields this kind of movement does not take or lacks, as `(field, message)`, in the
    /// order the API reports them. `now` judges the due date.
    pub fn field_problems(&self, now: DateTime<Utc>) -> Vec<(&'static str, &'static str)> {
        use MovementKind as K;
        let mut problems = Vec::new();
        match self.kind {
            K::Receipt => problems.push((
                "kind",
                "a receipt is recorded when the item is created; it cannot be repeated",
            )),
            K::Transfer if self.to_location_id.is_none() => {
                problems.push(("to_location_id", "a transfer needs a destination"))
            }
            K::Issue | K::Reserve => {}
            _ if !self.holder.is_nobody() => {
                problems.push(("holder_user_id", "only reserve and issue take a holder"))
            }
            _ => {}
        }
        if !matches!(self.kind, K::Transfer | K::Return) && self.to_location_id.is_some() {
            problems.push((
                "to_location_id",
                "only transfer and return take a destination",
            ));
        }
        if !matches!(self.kind, K::Issue | K::Reserve) && self.due_at.is_some() {
            problems.push(("due_at", "only issue and reserve take a due date"));
        }
        if self.due_at.is_some_and(|d| d <= now) {
            problems.push(("due_at", "must be in the future"));
        }
        if !matches!(self.kind, K::Return | K::RepairEnd | K::WriteOff) && self.condition.is_some()
        {
            problems.push((
                "condition",
                "the condition is recorded on return, repair end or write-off",
            ));
        }
        problems
    }
}

/// What the plan needs to know about the item before the movement (read under its row lock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemState {
    pub status: ItemStatus,
    pub quantity: i32,
    pub location_id: Option<Uuid>,
    pub holder: Holder,
    pub due_at: Option<DateTime<Utc>>,
    pub condition: Condition,
}

/// What the movement does: the item (or the split-off part) ends up like this.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovementPlan {
    pub from_status: ItemStatus,
    pub to_status: ItemStatus,
    /// How many pieces move.
    pub quantity: i32,
    /// Whether the moved part becomes a new item (part of a quantity).
    pub split: bool,
    pub to_location_id: Option<Uuid>,
    pub holder: Holder,
    pub due_at: Option<DateTime<Utc>>,
    pub condition: Condition,
}

/// Why a movement is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The kind is not allowed from the item's status (409 naming the status).
    NotFromStatus {
        kind: MovementKind,
        status: ItemStatus,
    },
    /// More pieces asked for than the item has.
    TooMany { available: i32 },
    /// The kind moves whole items only.
    WholeItemOnly(MovementKind),
    /// The destination is not a live location of the theatre.
    UnknownLocation,
    /// A transfer to where the item already is.
    AlreadyThere,
    /// Issuing a reserved item to someone else than the reservation's holder (409).
    ReservedForSomeoneElse { status: ItemStatus },
    /// An issue with no holder given or reserved.
    NoHolder,
}

/// Decides movement `m` of `item`. `destination_exists` says whether `m.to_location_id` (when
/// given) is a live location of the item's theatre. Checks run in a fixed order, so a request
/// with several faults always gets the same answer.
pub fn plan(
    item: &ItemState,
    m: &NewMovement,
    destination_exists: bool,
) -> Result<MovementPlan, Refusal> {
    use MovementKind as K;
    let to_status = m
        .kind
        .transition(item.status)
        .ok_or(Refusal::NotFromStatus {
            kind: m.kind,
            status: item.status,
        })?;
    let quantity = m.quantity.unwrap_or(item.quantity);
    if quantity > item.quantity {
        return Err(Refusal::TooMany {
            available: item.quantity,
        });
    }
    let split = quantity < item.quantity;
    if split && !m.kind.can_split() {
        return Err(Refusal::WholeItemOnly(m.kind));
    }
    if let Some(to) = m.to_location_id {
        if !destination_exists {
            return Err(Refusal::UnknownLocation);
        }
        if m.kind == K::Transfer && Some(to) == item.location_id && !split {
            return Err(Refusal::AlreadyThere);
        }
    }
    let reserved_for = item.holder;
    let holder = match m.kind {
        K::Reserve => m.holder,
        K::Issue if item.status == ItemStatus::Reserved => {
            let given = !m.holder.is_nobody();
            if given && !reserved_for.is_nobody() && m.holder != reserved_for {
                return Err(Refusal::ReservedForSomeoneElse {
                    status: item.status,
                });
            }
            if given { m.holder } else { reserved_for }
        }
        K::Issue => m.holder,
        K::Transfer | K::RepairStart | K::RepairEnd => reserved_for,
        _ => Holder::NOBODY,
    };
    if m.kind == K::Issue && holder.is_nobody() {
        return Err(Refusal::NoHolder);
    }
    let due_at = match m.kind {
        K::Reserve | K::Issue => m.due_at,
        K::Transfer | K::RepairStart | K::RepairEnd => item.due_at,
        _ => None,
    };
    let to_location_id = match m.kind {
        K::Transfer => m.to_location_id,
        K::Return => m.to_location_id.or(item.location_id),
        K::WriteOff => None,
        _ => item.location_id,
    };
    Ok(MovementPlan {
        from_status: item.status,
        to_status,
        quantity,
        split,
        to_location_id,
        holder,
        due_at,
        condition: m.condition.unwrap_or(item.condition),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ItemStatus as S;
    use MovementKind as K;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const SHELF: u128 = 1;
    const STAGE: u128 = 2;

    fn person(n: u128) -> Holder {
        Holder {
            user_id: Some(id(100 + n)),
            ..Holder::NOBODY
        }
    }

    fn due(days: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_900_000_000 + days * 86_400, 0).unwrap()
    }

    /// An item of 3 pieces on the shelf, in `status`, held by person 1 where the status means a
    /// holder (reserved, in use), due on day 5.
    fn item(status: ItemStatus) -> ItemState {
        let held = matches!(status, S::Reserved | S::InUse);
        ItemState {
            status,
            quantity: 3,
            location_id: (status != S::WrittenOff).then_some(id(SHELF)),
            holder: if held { person(1) } else { Holder::NOBODY },
            due_at: held.then(|| due(5)),
            condition: Condition::Good,
        }
    }

    /// The well-formed request of `kind` (every field it needs, nothing it refuses).
    fn request(kind: MovementKind) -> NewMovement {
        let mut m = NewMovement::of(kind);
        match kind {
            K::Transfer => m.to_location_id = Some(id(STAGE)),
            K::Reserve | K::Issue => {
                m.holder = person(1);
                m.due_at = Some(due(9));
            }
            K::Return | K::RepairEnd | K::WriteOff => m.condition = Some(Condition::Fair),
            _ => {}
        }
        m
    }

    #[test]
    fn every_kind_from_every_status_moves_the_whole_item_as_the_domain_says() {
        for kind in K::ALL {
            for from in S::ALL {
                let before = item(*from);
                let m = request(*kind);
                let got = plan(&before, &m, true);
                let Some(to_status) = kind.transition(*from) else {
                    assert_eq!(
                        got,
                        Err(Refusal::NotFromStatus {
                            kind: *kind,
                            status: *from
                        }),
                        "{kind} from {from}"
                    );
                    continue;
                };
                let p = got.unwrap_or_else(|r| panic!("{kind} from {from}: {r:?}"));
                assert_eq!(p.from_status, *from, "{kind} from {from}");
                assert_eq!(p.to_status, to_status, "{kind} from {from}");
                assert_eq!((p.quantity, p.split), (3, false), "{kind} from {from}");
                let expected_holder = match kind {
                    K::Reserve | K::Issue => person(1),
                    K::Transfer | K::RepairStart | K::RepairEnd => before.holder,
                    _ => Holder::NOBODY,
                };
                assert_eq!(p.holder, expected_holder, "{kind} from {from}: holder");
                let expected_due = match kind {
                    K::Reserve | K::Issue => Some(due(9)),
                    K::Transfer | K::RepairStart | K::RepairEnd => before.due_at,
                    _ => None,
                };
                assert_eq!(p.due_at, expected_due, "{kind} from {from}: due");
                let expected_place = match kind {
                    K::Transfer => Some(id(STAGE)),
                    K::WriteOff => None,
                    _ => before.location_id,
                };
                assert_eq!(
                    p.to_location_id, expected_place,
                    "{kind} from {from}: place"
                );
                let expected_condition = match kind {
                    K::Return | K::RepairEnd | K::WriteOff => Condition::Fair,
                    _ => Condition::Good,
                };
                assert_eq!(p.condition, expected_condition, "{kind} from {from}");
            }
        }
    }

    #[test]
    fn only_splittable_kinds_take_part_of_a_quantity() {
        for kind in K::ALL {
            for from in S::ALL {
                if kind.transition(*from).is_none() {
                    continue;
                }
                let mut m = request(*kind);
                m.quantity = Some(2);
                let got = plan(&item(*from), &m, true);
                if kind.can_split() {
                    let p = got.unwrap_or_else(|r| panic!("{kind} from {from}: {r:?}"));
                    assert_eq!((p.quantity, p.split), (2, true), "{kind} from {from}");
                } else {
                    assert_eq!(
                        got,
                        Err(Refusal::WholeItemOnly(*kind)),
                        "{kind} from {from}"
                    );
                }
                m.quantity = Some(4);
                assert_eq!(
                    plan(&item(*from), &m, true),
                    Err(Refusal::TooMany { available: 3 }),
                    "{kind} from {from}"
                );
            }
        }
    }

    #[test]
    fn a_destination_must_exist_and_a_whole_transfer_must_go_somewhere_else() {
        for kind in [K::Transfer, K::Return] {
            let from = if kind == K::Return {
                S::InUse
            } else {
                S::InStock
            };
            assert_eq!(
                plan(&item(from), &request(kind).to(STAGE), false),
                Err(Refusal::UnknownLocation),
                "{kind}"
            );
        }
        let m = request(K::Transfer).to(SHELF);
        assert_eq!(
            plan(&item(S::InStock), &m, true),
            Err(Refusal::AlreadyThere)
        );
        let part = NewMovement {
            quantity: Some(1),
            ..m
        };
        let p = plan(&item(S::InStock), &part, true).unwrap();
        assert_eq!((p.split, p.to_location_id), (true, Some(id(SHELF))));
        let back = plan(&item(S::InUse), &request(K::Return).to(STAGE), true).unwrap();
        assert_eq!(back.to_location_id, Some(id(STAGE)));
    }

    #[test]
    fn issuing_a_reservation_keeps_or_checks_its_holder() {
        let reserved = item(S::Reserved);
        let mut m = NewMovement::of(K::Issue);
        let p = plan(&reserved, &m, true).unwrap();
        assert_eq!(p.holder, person(1), "no holder given: the reservation's");
        m.holder = person(2);
        assert_eq!(
            plan(&reserved, &m, true),
            Err(Refusal::ReservedForSomeoneElse {
                status: S::Reserved
            })
        );
        let for_nobody = ItemState {
            holder: Holder::NOBODY,
            ..reserved
        };
        assert_eq!(plan(&for_nobody, &m, true).unwrap().holder, person(2));
        m.holder = Holder::NOBODY;
        assert_eq!(plan(&for_nobody, &m, true), Err(Refusal::NoHolder));
        assert_eq!(
            plan(&item(S::InStock), &NewMovement::of(K::Issue), true),
            Err(Refusal::NoHolder)
        );
    }

    #[test]
    fn each_kind_takes_only_its_own_fields() {
        let now = due(0);
        for kind in K::ALL {
            let problems: Vec<&str> = request(*kind)
                .field_problems(now)
                .iter()
                .map(|(f, _)| *f)
                .collect();
            let expected: &[&str] = if *kind == K::Receipt { &["kind"] } else { &[] };
            assert_eq!(problems, expected, "{kind}");

            let mut everything = request(*kind);
            everything.to_location_id = Some(id(STAGE));
            everything.holder = person(1);
            everything.due_at = Some(due(9));
            everything.condition = Some(Condition::Poor);
            let fields: Vec<&str> = everything
                .field_problems(now)
                .iter()
                .map(|(f, _)| *f)
                .collect();
            let takes_holder = matches!(kind, K::Reserve | K::Issue);
            assert_eq!(
                !fields.contains(&"holder_user_id"),
                takes_holder || *kind == K::Receipt,
                "{kind}: holder"
            );
            assert_eq!(
                !fields.contains(&"to_location_id"),
                matches!(kind, K::Transfer | K::Return),
                "{kind}: destination"
            );
            assert_eq!(!fields.contains(&"due_at"), takes_holder, "{kind}: due");
            assert_eq!(
                !fields.contains(&"condition"),
                matches!(kind, K::Return | K::RepairEnd | K::WriteOff),
                "{kind}: condition"
            );
        }
        let mut late = request(K::Issue);
        late.due_at = Some(now);
        assert_eq!(
            late.field_problems(now),
            vec![("due_at", "must be in the future")]
        );
        assert_eq!(
            NewMovement::of(K::Transfer).field_problems(now),
            vec![("to_location_id", "a transfer needs a destination")]
        );
    }

    impl NewMovement {
        fn to(mut self, location: u128) -> Self {
            self.to_location_id = Some(id(location));
            self
        }
    }
}
