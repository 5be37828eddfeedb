//! The demo theatre's data, in one place: the gateway seeds it on the first start (inside the
//! transaction that creates the demo theatre) and the benchmark seeder (`cargo run -p
//! theatre-gateway --example seed`) uses the same generator for any number of items.
//!
//! Deterministic: the same size and generator seed give the same names, numbers, states and
//! histories (ids, password hashes and times relative to now differ). Rows are written the way
//! the API and the worker write them — numbers from the theatre's counter, one ledger row per
//! state change with the item's current state equal to the last row's, document versions ready
//! with the SHA-256, size and ETag of bytes that really are in the store — but in a few
//! multi-row statements, so a few hundred items take well under a second.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::storage::Storage;

/// How much to seed.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Inventory items (each with its movement history).
    pub items: usize,
    /// Documents (each with one to four versions); beyond the built-in titles they repeat
    /// with a number and varied text.
    pub documents: usize,
    /// Events around today (three weeks from a week ago), with participants and kit.
    pub events: usize,
    /// Seed of the generator: the same value gives the same data.
    pub seed: u64,
}

impl Size {
    /// The demo theatre of the first start.
    pub const DEMO: Size = Size {
        items: 300,
        documents: 20,
        events: 60,
        seed: 2026,
    };
}

/// A user of the demo theatre besides its administrator.
#[derive(Clone, Copy, Debug)]
pub struct DemoUser {
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub position: &'static str,
    /// Code of a seeded role (DOMAIN.md).
    pub role: &'static str,
    /// Code of a department the user belongs to.
    pub department: Option<&'static str>,
    /// Whether the user heads that department.
    pub heads_department: bool,
}

/// The demo theatre's staff: one per typical role, so every permission set can be tried.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "tech@demo.theatre",
        first_name: "Игорь",
        last_name: "Соколов",
        position: "Технический директор",
        role: "tech_director",
        department: None,
        heads_department: false,
    },
    DemoUser {
        email: "props@demo.theatre",
        first_name: "Марина",
        last_name: "Кузнецова",
        position: "Заведующая реквизиторским цехом",
        role: "department_head",
        department: Some("props"),
        heads_department: true,
    },
    DemoUser {
        email: "stage@demo.theatre",
        first_name: "Павел",
        last_name: "Орлов",
        position: "Помощник режиссёра",
        role: "producer",
        department: Some("stage"),
        heads_department: false,
    },
    DemoUser {
        email: "actor@demo.theatre",
        first_name: "Елена",
        last_name: "Воронцова",
        position: "Артистка драмы",
        role: "performer",
        department: None,
        heads_department: false,
    },
    DemoUser {
        email: "accountant@demo.theatre",
        first_name: "Ольга",
        last_name: "Смирнова",
        position: "Главный бухгалтер",
        role: "accountant",
        department: None,
        heads_department: false,
    },
    DemoUser {
        email: "viewer@demo.theatre",
        first_name: "Дмитрий",
        last_name: "Лебедев",
        position: "Стажёр",
        role: "viewer",
        department: None,
        heads_department: false,
    },
];

/// What was seeded.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub users: usize,
    pub performances: usize,
    pub items: usize,
    pub movements: usize,
    pub kit_lines: usize,
    pub documents: usize,
    pub versions: usize,
    pub events: usize,
    pub participants: usize,
    pub reservations: usize,
    pub templates: usize,
}

/// Seeds the demo theatre created just now in the same transaction: its staff (`users` pairs
/// each [`DEMO_USERS`] entry with its password hash), productions, inventory with histories and
/// kit lists, documents with versions whose bytes are written to `storage`.
pub async fn demo_theater(
    client: &impl GenericClient,
    storage: &Storage,
    theater_id: Uuid,
    admin_id: Uuid,
    users: &[(DemoUser, String)],
    size: Size,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for (user, hash) in users {
        insert_user(client, theater_id, user, hash).await?;
        summary.users += 1;
    }
    summary.performances = insert_performances(client, theater_id, admin_id).await?;
    let seeded = inventory(client, theater_id, size.items, size.seed).await?;
    summary.items = seeded.items.len();
    summary.movements = seeded.movements;
    let performances = performance_ids(client, theater_id).await?;
    summary.kit_lines =
        insert_kit_lists(client, theater_id, &seeded.items, &performances, size.seed).await?;
    let (documents, versions) =
        insert_documents(client, storage, theater_id, size.documents, size.seed).await?;
    summary.documents = documents;
    summary.versions = versions;
    let today = Utc::now().date_naive();
    let seeded = schedule(
        client,
        theater_id,
        today - Duration::days(7),
        21,
        size.events,
        size.seed,
    )
    .await?;
    summary.events = seeded.events;
    summary.participants = seeded.participants;
    summary.reservations = seeded.reservations;
    summary.templates =
        crate::seed_templates::insert_templates(client, storage, theater_id, admin_id).await?;
    crate::audit::record(
        client,
        crate::audit::AuditEntry {
            theater_id,
            actor_id: None,
            action: "theater.seed_demo",
            entity_type: "theater",
            entity_id: Some(theater_id),
            before: None,
            after: Some(serde_json::to_value(&summary)?),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("audit: {e}"))?;
    Ok(summary)
}

/// A small deterministic generator (SplitMix64): no dependency, same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// lo..=hi
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    /// true with probability percent/100
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

async fn insert_user(
    client: &impl GenericClient,
    theater_id: Uuid,
    user: &DemoUser,
    password_hash: &str,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO users (id, theater_id, email, password_hash, first_name, last_name, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id,
                &theater_id,
                &user.email,
                &password_hash,
                &user.first_name,
                &user.last_name,
                &user.position,
            ],
        )
        .await
        .with_context(|| format!("demo user {}", user.email))?;
    let roles = client
        .execute(
            "INSERT INTO user_roles (theater_id, user_id, role_id)
             SELECT $1, $2, id FROM roles WHERE theater_id = $1 AND code = $3",
            &[&theater_id, &id, &user.role],
        )
        .await?;
    anyhow::ensure!(roles == 1, "no seeded role {}", user.role);
    if let Some(department) = user.department {
        client
            .execute(
                "INSERT INTO user_departments (theater_id, user_id, department_id)
                 SELECT $1, $2, id FROM departments WHERE theater_id = $1 AND code = $3",
                &[&theater_id, &id, &department],
            )
            .await?;
        if user.heads_department {
            client
                .execute(
                    "UPDATE departments SET head_id = $2 WHERE theater_id = $1 AND code = $3",
                    &[&theater_id, &id, &department],
                )
                .await?;
        }
    }
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Productions

struct Production {
    title: &'static str,
    author: &'static str,
    director: &'static str,
    genre: &'static str,
    age: &'static str,
    minutes: i32,
    intermissions: i32,
    premiere: Option<(i32, u32, u32)>,
    status: &'static str,
    description: &'static str,
}

const PRODUCTIONS: &[Production] = &[
    Production {
        title: "Вишнёвый сад",
        author: "Антон Чехов",
        director: "Алексей Миронов",
        genre: "комедия",
        age: "12+",
        minutes: 190,
        intermissions: 1,
        premiere: Some((2024, 10, 12)),
        status: "in_repertoire",
        description: "Комедия в четырёх действиях. Имение Раневской продаётся за долги.",
    },
    Production {
        title: "Ревизор",
        author: "Николай Гоголь",
        director: "Светлана Белова",
        genre: "комедия",
        age: "12+",
        minutes: 165,
        intermissions: 1,
        premiere: Some((2023, 3, 4)),
        status: "in_repertoire",
        description: "Уездный город принимает проезжего чиновника за ревизора из Петербурга.",
    },
    Production {
        title: "Двенадцатая ночь",
        author: "Уильям Шекспир",
        director: "Алексей Миронов",
        genre: "комедия",
        age: "12+",
        minutes: 150,
        intermissions: 1,
        premiere: Some((2022, 12, 17)),
        status: "paused",
        description: "Близнецы Виола и Себастьян после кораблекрушения в Иллирии.",
    },
    Production {
        title: "Гроза",
        author: "Александр Островский",
        director: "Ирина Ковалёва",
        genre: "драма",
        age: "16+",
        minutes: 140,
        intermissions: 1,
        premiere: None,
        status: "preparation",
        description: "Драма в пяти действиях. Репетиционный период, премьера весной.",
    },
];

async fn insert_performances(
    client: &impl GenericClient,
    theater_id: Uuid,
    admin_id: Uuid,
) -> anyhow::Result<usize> {
    let mut order = 0;
    for p in PRODUCTIONS {
        let id = Uuid::now_v7();
        let premiere = p
            .premiere
            .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        let repertoire_order = (p.status == "in_repertoire").then(|| {
            order += 1;
            order
        });
        client
            .execute(
                "INSERT INTO performances (id, theater_id, title, author, director, genre,
                     age_rating, duration_minutes, intermissions, premiere_date, description,
                     status, repertoire_order, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &id,
                    &theater_id,
                    &p.title,
                    &p.author,
                    &p.director,
                    &p.genre,
                    &p.age,
                    &p.minutes,
                    &p.intermissions,
                    &premiere,
                    &p.description,
                    &p.status,
                    &repertoire_order,
                    &admin_id,
                ],
            )
            .await
            .with_context(|| format!("performance {}", p.title))?;
        crate::passport::create_standard_sections(client, theater_id, id).await?;
    }
    Ok(PRODUCTIONS.len())
}

// ---------------------------------------------------------------------------------------------
// Inventory

/// Subcategories under the seeded top-level ones: (parent code, code, name).
const SUBCATEGORIES: &[(&str, &str, &str)] = &[
    ("props", "tableware", "Посуда"),
    ("props", "weapons", "Бутафорское оружие"),
    ("costumes", "hats", "Головные уборы"),
    ("costumes", "shoes", "Обувь"),
    ("scenery", "backdrops", "Задники и одежда сцены"),
    ("scenery", "platforms", "Станки и площадки"),
    ("lighting", "fixtures", "Световые приборы"),
    ("sound", "microphones", "Микрофоны"),
];

/// Locations besides the seeded ones: (parent code or "", code, name).
const SUBLOCATIONS: &[(&str, &str, &str)] = &[
    ("main-warehouse", "rack-a", "Стеллаж А"),
    ("main-warehouse", "rack-b", "Стеллаж Б"),
    ("costume-room", "wardrobe-1", "Шкаф 1"),
    ("costume-room", "wardrobe-2", "Шкаф 2"),
    ("props-room", "shelf-1", "Полка 1"),
    ("props-room", "shelf-2", "Полка 2"),
    ("props-room", "shelf-3", "Полка 3"),
    ("", "scenery-store", "Склад декораций"),
    ("", "light-room", "Осветительский цех"),
    ("", "sound-room", "Звукоцех"),
    ("", "workshop", "Мастерская"),
];

/// What one category's items look like.
struct Kind {
    category: &'static str,
    /// Share of the generated items (weights).
    weight: usize,
    names: &'static [&'static str],
    details: &'static [&'static str],
    /// Where such things are kept.
    homes: &'static [&'static str],
    tags: &'static [&'static str],
    /// Purchase price range in roubles.
    price: (i64, i64),
    /// Chance (percent) of being a quantity item, and its range.
    bulk: (u64, i64, i64),
    attributes: fn(&mut Rng) -> Value,
}

const PERIOD_TAGS: &[&str] = &["XIX век", "XVIII век", "модерн", "советский период"];

fn no_attributes(_: &mut Rng) -> Value {
    json!({})
}

fn costume_attributes(rng: &mut Rng) -> Value {
    json!({
        "size": (44 + 2 * rng.range(0, 6)).to_string(),
        "material": rng.pick(&["шёлк", "бархат", "сукно", "лён", "хлопок", "парча"]),
    })
}

fn light_attributes(rng: &mut Rng) -> Value {
    json!({
        "power_w": rng.pick(&[300, 500, 750, 1000, 1200, 2000]),
        "connector": rng.pick(&["Schuko", "CEE 16A", "powerCON"]),
        "dmx_channels": rng.range(1, 24),
    })
}

fn sound_attributes(rng: &mut Rng) -> Value {
    json!({ "connector": rng.pick(&["XLR", "Jack 6.3", "speakON"]) })
}

fn scenery_attributes(rng: &mut Rng) -> Value {
    json!({ "fire_protection": format!("огнезащитная пропитка {}", rng.range(2023, 2026)) })
}

const KINDS: &[Kind] = &[
    Kind {
        category: "props",
        weight: 10,
        names: &[
            "Канделябр",
            "Подсвечник",
            "Веер",
            "Трость",
            "Зонт",
            "Часы карманные",
            "Шкатулка",
            "Книга бутафорская",
            "Чемодан",
            "Саквояж",
            "Телефон дисковый",
            "Лампа керосиновая",
            "Глобус",
            "Самовар",
            "Корзина плетёная",
            "Букет искусственный",
            "Подзорная труба",
            "Портсигар",
        ],
        details: &[
            "бронза",
            "латунь",
            "дерево",
            "серебрение",
            "папье-маше",
            "кожа",
        ],
        homes: &["props-room", "shelf-1", "shelf-2", "shelf-3"],
        tags: &["хрупкое", "бронза", "на гастроли"],
        price: (800, 25_000),
        bulk: (5, 2, 6),
        attributes: no_attributes,
    },
    Kind {
        category: "tableware",
        weight: 4,
        names: &[
            "Бокал",
            "Графин",
            "Поднос",
            "Кубок",
            "Тарелка",
            "Кувшин",
            "Рюмка",
            "Чашка",
        ],
        details: &["стекло", "фарфор", "мельхиор", "пластик"],
        homes: &["shelf-2", "shelf-3"],
        tags: &["хрупкое", "бьющееся"],
        price: (150, 3_000),
        bulk: (60, 6, 40),
        attributes: no_attributes,
    },
    Kind {
        category: "weapons",
        weight: 3,
        names: &[
            "Шпага",
            "Сабля",
            "Пистолет кремнёвый",
            "Кинжал",
            "Ружьё охотничье (муляж)",
            "Алебарда",
        ],
        details: &["сталь, тупая", "дерево", "пластик", "латунь"],
        homes: &["shelf-1", "props-room"],
        tags: &["сценический бой", "хранить под замком"],
        price: (1_500, 40_000),
        bulk: (10, 2, 4),
        attributes: no_attributes,
    },
    Kind {
        category: "costumes",
        weight: 12,
        names: &[
            "Платье бальное",
            "Фрак",
            "Камзол",
            "Мундир офицерский",
            "Сюртук",
            "Шинель",
            "Кафтан",
            "Сарафан",
            "Плащ",
            "Жилет",
            "Пальто драповое",
            "Костюм-тройка",
            "Ряса",
            "Халат домашний",
        ],
        details: &["шёлк", "бархат", "сукно", "лён", "парча", "шерсть"],
        homes: &["costume-room", "wardrobe-1", "wardrobe-2"],
        tags: &["ручная стирка", "химчистка", "подбор по размеру"],
        price: (6_000, 90_000),
        bulk: (0, 1, 1),
        attributes: costume_attributes,
    },
    Kind {
        category: "hats",
        weight: 3,
        names: &[
            "Цилиндр",
            "Треуголка",
            "Шляпа с пером",
            "Кокошник",
            "Фуражка",
            "Чепец",
            "Котелок",
        ],
        details: &["фетр", "бархат", "соломка", "сукно"],
        homes: &["wardrobe-2"],
        tags: &["хранить в коробке"],
        price: (1_500, 18_000),
        bulk: (10, 2, 5),
        attributes: costume_attributes,
    },
    Kind {
        category: "shoes",
        weight: 3,
        names: &[
            "Сапоги-ботфорты",
            "Туфли на каблуке",
            "Башмаки с пряжками",
            "Валенки",
            "Туфли бальные",
        ],
        details: &["кожа", "замша", "войлок"],
        homes: &["wardrobe-1"],
        tags: &["подбор по размеру"],
        price: (2_500, 20_000),
        bulk: (0, 1, 1),
        attributes: costume_attributes,
    },
    Kind {
        category: "scenery",
        weight: 5,
        names: &[
            "Колонна",
            "Арка",
            "Ширма",
            "Фасад дома",
            "Дерево объёмное",
            "Лестница декорационная",
            "Окно с рамой",
            "Забор",
            "Фонтан",
            "Беседка",
        ],
        details: &["фанера", "металлокаркас", "пенопласт", "дерево"],
        homes: &["scenery-store", "main-warehouse"],
        tags: &["крупногабарит", "монтаж 2 человека"],
        price: (15_000, 250_000),
        bulk: (5, 2, 4),
        attributes: scenery_attributes,
    },
    Kind {
        category: "backdrops",
        weight: 3,
        names: &[
            "Задник «Зимний лес»",
            "Задник «Городская площадь»",
            "Задник «Вишнёвый сад»",
            "Падуга",
            "Кулиса бархатная",
            "Арлекин",
            "Горизонт белый",
        ],
        details: &["бархат", "бязь", "сетка", "репс"],
        homes: &["scenery-store"],
        tags: &["крупногабарит", "огнезащита"],
        price: (20_000, 180_000),
        bulk: (15, 2, 6),
        attributes: scenery_attributes,
    },
    Kind {
        category: "platforms",
        weight: 2,
        names: &[
            "Станок 2×1 м",
            "Станок 1×1 м",
            "Помост",
            "Фурка",
            "Лестница-трап",
        ],
        details: &["фанера", "металлокаркас"],
        homes: &["scenery-store"],
        tags: &["крупногабарит", "монтаж 2 человека"],
        price: (10_000, 120_000),
        bulk: (30, 2, 8),
        attributes: scenery_attributes,
    },
    Kind {
        category: "furniture",
        weight: 7,
        names: &[
            "Кресло",
            "Стул венский",
            "Стол обеденный",
            "Диван",
            "Комод",
            "Шкаф книжный",
            "Кровать",
            "Скамья",
            "Трюмо",
            "Табурет",
            "Секретер",
            "Пианино бутафорское",
        ],
        details: &["дуб", "орех", "сосна", "гнутое дерево", "обивка бархат"],
        homes: &["main-warehouse", "rack-a", "rack-b"],
        tags: &["крупногабарит", "реставрация"],
        price: (3_000, 120_000),
        bulk: (15, 2, 12),
        attributes: no_attributes,
    },
    Kind {
        category: "equipment",
        weight: 3,
        names: &[
            "Лебёдка ручная",
            "Тали электрические",
            "Стремянка",
            "Генератор дыма",
            "Генератор снега",
            "Тележка транспортная",
            "Шуруповёрт",
        ],
        details: &["1 т", "500 кг", "6 ступеней", "1500 Вт"],
        homes: &["main-warehouse", "rack-b"],
        tags: &["проверка перед спектаклем", "электрика"],
        price: (5_000, 150_000),
        bulk: (10, 2, 4),
        attributes: no_attributes,
    },
    Kind {
        category: "lighting",
        weight: 3,
        names: &[
            "Пульт световой",
            "Диммерный блок",
            "Кабель силовой 20 м",
            "Светофильтры (набор)",
            "Сплиттер DMX",
        ],
        details: &["12 каналов", "24 канала", "DMX-512"],
        homes: &["light-room"],
        tags: &["электрика", "проверка перед спектаклем"],
        price: (3_000, 600_000),
        bulk: (20, 2, 10),
        attributes: light_attributes,
    },
    Kind {
        category: "fixtures",
        weight: 6,
        names: &[
            "Прожектор профильный",
            "Прожектор линзовый",
            "Прожектор PAR",
            "Прибор с полным движением",
            "Рампа светодиодная",
            "Следящий прожектор",
            "Театральный прожектор Френеля",
        ],
        details: &["со шторками", "с рамкой фильтра", "с тубусом", "с зумом"],
        homes: &["light-room", "stage"],
        tags: &["электрика", "на гастроли"],
        price: (25_000, 450_000),
        bulk: (15, 2, 8),
        attributes: light_attributes,
    },
    Kind {
        category: "sound",
        weight: 3,
        names: &[
            "Микшерный пульт",
            "Колонка активная",
            "Монитор сценический",
            "Усилитель мощности",
            "Кабель XLR 10 м",
            "Проигрыватель",
        ],
        details: &["16 каналов", "32 канала", "1000 Вт", "500 Вт"],
        homes: &["sound-room"],
        tags: &["электрика", "на гастроли"],
        price: (4_000, 700_000),
        bulk: (20, 2, 10),
        attributes: sound_attributes,
    },
    Kind {
        category: "microphones",
        weight: 3,
        names: &[
            "Микрофон вокальный",
            "Радиосистема с петличным микрофоном",
            "Микрофон головной",
            "Микрофон конденсаторный",
        ],
        details: &["кардиоида", "суперкардиоида", "всенаправленный"],
        homes: &["sound-room"],
        tags: &["батарейки", "на гастроли"],
        price: (8_000, 160_000),
        bulk: (10, 2, 6),
        attributes: sound_attributes,
    },
    Kind {
        category: "other",
        weight: 2,
        names: &[
            "Огнетушитель",
            "Аптечка",
            "Ящик инструментов",
            "Вешалка напольная",
            "Зеркало ростовое",
            "Рация",
        ],
        details: &["ОП-4", "настенный", "переносной"],
        homes: &["backstage", "main-warehouse"],
        tags: &["проверка перед спектаклем"],
        price: (500, 30_000),
        bulk: (20, 2, 10),
        attributes: no_attributes,
    },
];

/// The top-level category of a (sub)category code, for kit list sections.
fn section_of(category: &str) -> &'static str {
    match category {
        "props" | "tableware" | "weapons" => "props",
        "costumes" | "hats" | "shoes" => "costumes",
        "scenery" | "backdrops" | "platforms" | "furniture" => "scenery",
        "lighting" | "fixtures" => "lighting",
        "sound" | "microphones" => "sound",
        "equipment" => "effects",
        _ => "other",
    }
}

/// An item as seeded (for kit lists).
pub struct SeededItem {
    pub id: Uuid,
    pub category: &'static str,
    pub status: &'static str,
    pub quantity: i32,
}

/// What [`inventory`] wrote.
pub struct SeededInventory {
    pub items: Vec<SeededItem>,
    pub movements: usize,
}

/// One ledger row being generated.
struct Movement {
    item: Uuid,
    kind: &'static str,
    quantity: i32,
    from_status: Option<&'static str>,
    to_status: &'static str,
    from_location: Option<Uuid>,
    to_location: Option<Uuid>,
    holder_user: Option<Uuid>,
    holder_performance: Option<Uuid>,
    due_at: Option<DateTime<Utc>>,
    comment: Option<String>,
    actor: Option<Uuid>,
    at: DateTime<Utc>,
}

/// The state of an item while its history is generated.
struct State {
    status: &'static str,
    location: Option<Uuid>,
    holder_user: Option<Uuid>,
    holder_performance: Option<Uuid>,
    due_at: Option<DateTime<Utc>>,
}

struct People {
    /// Everyone who may receive or hold things.
    holders: Vec<Uuid>,
    /// Who records movements.
    actors: Vec<Uuid>,
    performances: Vec<Uuid>,
}

async fn people(client: &impl GenericClient, theater_id: Uuid) -> anyhow::Result<People> {
    // Staff who record movements, and who take things (not the accountant or a viewer).
    let rows = client
        .query(
            "SELECT u.id,
                    coalesce(bool_or(r.code IN ('admin', 'tech_director', 'department_head',
                                                'producer')), false),
                    coalesce(bool_and(r.code NOT IN ('viewer', 'accountant')), true)
             FROM users u
             LEFT JOIN user_roles ur ON ur.user_id = u.id
             LEFT JOIN roles r ON r.id = ur.role_id
             WHERE u.theater_id = $1 AND u.is_active
             GROUP BY u.id ORDER BY u.email",
            &[&theater_id],
        )
        .await?;
    anyhow::ensure!(!rows.is_empty(), "the theatre has no users");
    let all: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    let with = |column: usize| -> Vec<Uuid> {
        let some: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.get::<_, bool>(column))
            .map(|r| r.get(0))
            .collect();
        if some.is_empty() { all.clone() } else { some }
    };
    let actors = with(1);
    let holders = with(2);
    let performances = client
        .query(
            "SELECT id FROM performances
             WHERE theater_id = $1 AND deleted_at IS NULL AND status <> 'archived'
             ORDER BY title",
            &[&theater_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(People {
        holders,
        actors,
        performances,
    })
}

async fn ensure_trees(
    client: &impl GenericClient,
    theater_id: Uuid,
) -> anyhow::Result<(HashMap<String, Uuid>, HashMap<String, Uuid>)> {
    for (i, (parent, code, name)) in SUBCATEGORIES.iter().enumerate() {
        client
            .execute(
                "INSERT INTO inventory_categories (id, theater_id, parent_id, code, name, sort_order)
                 SELECT $1, $2, p.id, $4, $5, $6 FROM inventory_categories p
                 WHERE p.theater_id = $2 AND p.code = $3 AND p.deleted_at IS NULL
                 ON CONFLICT (theater_id, code) WHERE deleted_at IS NULL DO NOTHING",
                &[
                    &Uuid::now_v7(),
                    &theater_id,
                    parent,
                    code,
                    name,
                    &(i as i32 * 10),
                ],
            )
            .await
            .with_context(|| format!("category {code}"))?;
    }
    for (i, (parent, code, name)) in SUBLOCATIONS.iter().enumerate() {
        client
            .execute(
                "INSERT INTO inventory_locations (id, theater_id, parent_id, code, name, sort_order)
                 VALUES ($1, $2, (SELECT id FROM inventory_locations
                                  WHERE theater_id = $2 AND code = $3 AND deleted_at IS NULL),
                         $4, $5, $6)
                 ON CONFLICT (theater_id, code) WHERE deleted_at IS NULL DO NOTHING",
                &[
                    &Uuid::now_v7(),
                    &theater_id,
                    parent,
                    code,
                    name,
                    &(100 + i as i32 * 10),
                ],
            )
            .await
            .with_context(|| format!("location {code}"))?;
    }
    let map = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, Uuid>(1)))
            .collect::<HashMap<_, _>>()
    };
    let categories = map(client
        .query(
            "SELECT code, id FROM inventory_categories WHERE theater_id = $1 AND deleted_at IS NULL",
            &[&theater_id],
        )
        .await?);
    let locations = map(client
        .query(
            "SELECT code, id FROM inventory_locations WHERE theater_id = $1 AND deleted_at IS NULL",
            &[&theater_id],
        )
        .await?);
    Ok((categories, locations))
}

/// One generated item row.
struct ItemRow {
    id: Uuid,
    category: &'static str,
    name: String,
    description: Option<String>,
    condition: &'static str,
    quantity: i32,
    dims: [Option<f64>; 4],
    price: String,
    value: String,
    purchased: NaiveDate,
    warranty: Option<NaiveDate>,
    supplier: Option<&'static str>,
    tags: Vec<String>,
    attributes: Value,
    created_at: DateTime<Utc>,
    /// The item's last change: its last movement.
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    state: State,
}

const SUPPLIERS: &[&str] = &[
    "ООО «Театральные мастерские»",
    "ИП Гончаров",
    "ООО «Свет и звук»",
    "Собственное производство",
    "АО «Сценическая техника»",
];

/// Adds `count` items with consistent histories to a theatre (its seeded trees get the demo
/// subcategories and sublocations first). Numbers come from the theatre's counter in the
/// items' creation order; the movement ledger ends in each item's current state.
pub async fn inventory(
    client: &impl GenericClient,
    theater_id: Uuid,
    count: usize,
    seed: u64,
) -> anyhow::Result<SeededInventory> {
    inventory_with_history(client, theater_id, count, 2, seed).await
}

/// [`inventory`] with up to `cycles` issue/return, reserve/release or repair cycles in each
/// item's history (uniformly 0..=cycles; 2 gives about four movements an item, 8 about ten).
pub async fn inventory_with_history(
    client: &impl GenericClient,
    theater_id: Uuid,
    count: usize,
    cycles: i64,
    seed: u64,
) -> anyhow::Result<SeededInventory> {
    let (categories, locations) = ensure_trees(client, theater_id).await?;
    let people = people(client, theater_id).await?;
    let loc = |code: &str| -> anyhow::Result<Uuid> {
        locations
            .get(code)
            .copied()
            .with_context(|| format!("no location {code}"))
    };
    let stage = loc("stage")?;
    let backstage = loc("backstage")?;
    let workshop = loc("workshop")?;
    let now = Utc::now();
    let mut rng = Rng::new(seed);
    let total_weight: usize = KINDS.iter().map(|k| k.weight).sum();

    let mut items = Vec::with_capacity(count);
    let mut movements = Vec::with_capacity(count * 3);
    for _ in 0..count {
        let mut roll = rng.below(total_weight);
        let kind = KINDS
            .iter()
            .find(|k| {
                if roll < k.weight {
                    true
                } else {
                    roll -= k.weight;
                    false
                }
            })
            .expect("weights cover the roll");
        anyhow::ensure!(
            categories.contains_key(kind.category),
            "no category {}",
            kind.category
        );
        let id = Uuid::now_v7();
        let base = rng.pick(kind.names);
        let detail = rng.pick(kind.details);
        let name = format!("{base}, {detail}");
        let quantity = if rng.chance(kind.bulk.0) {
            rng.range(kind.bulk.1, kind.bulk.2) as i32
        } else {
            1
        };
        let age_days = rng.range(20, 900);
        let created_at = now - Duration::days(age_days) - Duration::minutes(rng.range(0, 600));
        let price = rng.range(kind.price.0, kind.price.1);
        let depreciation = 40 + rng.range(0, 60);
        let mut tags = Vec::new();
        if rng.chance(45) {
            tags.push(rng.pick(kind.tags).to_string());
        }
        if rng.chance(20) {
            tags.push(rng.pick(PERIOD_TAGS).to_string());
        }
        tags.dedup();
        let big = matches!(
            kind.category,
            "scenery" | "backdrops" | "platforms" | "furniture"
        );
        let dims = if big || rng.chance(30) {
            let s = if big { 40.0 } else { 5.0 };
            [
                Some(s * rng.range(1, 12) as f64),
                Some(s * rng.range(1, 12) as f64),
                Some(s * rng.range(1, 6) as f64),
                Some(rng.range(1, if big { 150 } else { 12 }) as f64 / 2.0),
            ]
        } else {
            [None; 4]
        };
        let purchased = created_at.date_naive() - Duration::days(rng.range(0, 30));
        let warranty = matches!(
            kind.category,
            "lighting" | "fixtures" | "sound" | "microphones" | "equipment"
        )
        .then(|| purchased + Duration::days(365 * rng.range(1, 3)));
        let description = rng.chance(35).then(|| {
            format!(
                "{base}: {detail}. {}",
                rng.pick(&[
                    "Использовался в нескольких постановках.",
                    "Требует бережного обращения при монтаже.",
                    "Изготовлен в мастерских театра.",
                    "После гастролей проверен, комплектность полная.",
                    "Хранить вдали от отопительных приборов.",
                ])
            )
        });
        let home_code: &str = rng.pick::<&str>(kind.homes);
        let home = loc(home_code)?;
        let actor = *rng.pick(&people.actors);
        let mut condition = *rng.pick(&["new", "good", "good", "good", "fair", "fair", "poor"]);

        let first_movement = movements.len();
        // The history, in time order: receipt, then some of transfer / issue-return /
        // reserve-release / repair cycles, then the step that gives the current state.
        let mut steps: Vec<&'static str> = vec!["receipt"];
        if rng.chance(25) {
            steps.push("transfer");
        }
        for _ in 0..rng.range(0, cycles) {
            steps.push(*rng.pick(&["issue_return", "issue_return", "reserve_release", "repair"]));
        }
        let end = match rng.below(100) {
            0..=67 => "in_stock",
            68..=75 => "reserved",
            76..=87 => "in_use",
            88..=94 => "in_repair",
            _ => "written_off",
        };
        steps.push(end);
        let slots = steps.len() + 2;
        let span = (now - Duration::hours(2) - created_at)
            .num_minutes()
            .max(60);
        let mut slot = 0;
        let mut at = || {
            slot += 1;
            created_at + Duration::minutes(span * (slot - 1) as i64 / slots as i64)
        };
        let mut state = State {
            status: "in_stock",
            location: Some(home),
            holder_user: None,
            holder_performance: None,
            due_at: None,
        };
        let mut push = |state: &mut State,
                        kind: &'static str,
                        to_status: &'static str,
                        to_location: Option<Uuid>,
                        holder: (Option<Uuid>, Option<Uuid>),
                        due_at: Option<DateTime<Utc>>,
                        comment: Option<String>,
                        at: DateTime<Utc>| {
            movements.push(Movement {
                item: id,
                kind,
                quantity,
                from_status: (kind != "receipt").then_some(state.status),
                to_status,
                from_location: if kind == "receipt" {
                    None
                } else {
                    state.location
                },
                to_location,
                holder_user: holder.0,
                holder_performance: holder.1,
                due_at,
                comment,
                actor: Some(actor),
                at,
            });
            state.status = to_status;
            state.location = to_location;
            state.holder_user = holder.0;
            state.holder_performance = holder.1;
            state.due_at = due_at;
        };
        for step in steps {
            let t = at();
            match step {
                "receipt" => push(
                    &mut state,
                    "receipt",
                    "in_stock",
                    Some(home),
                    (None, None),
                    None,
                    Some(format!("Поступление: {}", rng.pick(SUPPLIERS))),
                    created_at,
                ),
                "transfer" => {
                    let to_code: &str = rng.pick::<&str>(kind.homes);
                    let to = loc(to_code)?;
                    let to = if Some(to) != state.location {
                        to
                    } else if state.location == Some(stage) {
                        backstage
                    } else {
                        stage
                    };
                    push(
                        &mut state,
                        "transfer",
                        "in_stock",
                        Some(to),
                        (None, None),
                        None,
                        None,
                        t,
                    );
                }
                "issue_return" => {
                    let holder = *rng.pick(&people.holders);
                    let back = state.location;
                    push(
                        &mut state,
                        "issue",
                        "in_use",
                        back,
                        (Some(holder), None),
                        Some(t + Duration::days(rng.range(1, 10))),
                        Some("На репетицию".into()),
                        t,
                    );
                    let t2 = t + Duration::minutes(span / slots as i64 / 2);
                    push(
                        &mut state,
                        "return",
                        "in_stock",
                        back,
                        (None, None),
                        None,
                        None,
                        t2,
                    );
                }
                "reserve_release" => {
                    let holder = *rng.pick(&people.holders);
                    let back = state.location;
                    push(
                        &mut state,
                        "reserve",
                        "reserved",
                        back,
                        (Some(holder), None),
                        Some(t + Duration::days(7)),
                        None,
                        t,
                    );
                    let t2 = t + Duration::minutes(span / slots as i64 / 2);
                    push(
                        &mut state,
                        "release",
                        "in_stock",
                        back,
                        (None, None),
                        None,
                        None,
                        t2,
                    );
                }
                "repair" => {
                    let back = state.location;
                    push(
                        &mut state,
                        "repair_start",
                        "in_repair",
                        back,
                        (None, None),
                        None,
                        Some("Ремонт: износ после спектаклей".into()),
                        t,
                    );
                    let t2 = t + Duration::minutes(span / slots as i64 / 2);
                    push(
                        &mut state,
                        "repair_end",
                        "in_stock",
                        back,
                        (None, None),
                        None,
                        Some("Отремонтировано".into()),
                        t2,
                    );
                    condition = "good";
                }
                "in_stock" => {
                    if rng.chance(15) {
                        let to = if state.location == Some(stage) {
                            backstage
                        } else {
                            stage
                        };
                        push(
                            &mut state,
                            "transfer",
                            "in_stock",
                            Some(to),
                            (None, None),
                            None,
                            Some("Для монтажа спектакля".into()),
                            t,
                        );
                    }
                }
                "reserved" => {
                    let holder = if !people.performances.is_empty() && rng.chance(50) {
                        (None, Some(*rng.pick(&people.performances)))
                    } else {
                        (Some(*rng.pick(&people.holders)), None)
                    };
                    // Reserved for a date still ahead.
                    let due = now + Duration::days(rng.range(2, 21));
                    let location = state.location;
                    push(
                        &mut state,
                        "reserve",
                        "reserved",
                        location,
                        holder,
                        Some(due),
                        Some("Бронь под спектакль".into()),
                        t,
                    );
                }
                "in_use" => {
                    let holder = *rng.pick(&people.holders);
                    // A few are overdue: issued long ago with a due date already past.
                    let issued = if rng.chance(20) {
                        t
                    } else {
                        (now - Duration::days(rng.range(0, 3)) - Duration::hours(3)).max(t)
                    };
                    let due = issued + Duration::days(rng.range(2, 14));
                    let location = state.location;
                    push(
                        &mut state,
                        "issue",
                        "in_use",
                        location,
                        (Some(holder), None),
                        Some(due),
                        Some(
                            rng.pick(&["На спектакль", "На репетицию", "На примерку"])
                                .to_string(),
                        ),
                        issued,
                    );
                }
                "in_repair" => {
                    if state.location != Some(workshop) {
                        push(
                            &mut state,
                            "transfer",
                            "in_stock",
                            Some(workshop),
                            (None, None),
                            None,
                            Some("В мастерскую".into()),
                            t,
                        );
                    }
                    condition = *rng.pick(&["poor", "broken"]);
                    push(
                        &mut state,
                        "repair_start",
                        "in_repair",
                        Some(workshop),
                        (None, None),
                        None,
                        Some(
                            rng.pick(&["Порвана ткань", "Сломано крепление", "Не включается"])
                                .to_string(),
                        ),
                        t + Duration::minutes(30),
                    );
                }
                "written_off" => {
                    condition = "broken";
                    push(
                        &mut state,
                        "write_off",
                        "written_off",
                        None,
                        (None, None),
                        None,
                        Some("Списано: восстановлению не подлежит".into()),
                        t,
                    );
                }
                _ => unreachable!("every step is matched"),
            }
        }
        if state.status == "written_off" {
            condition = "broken";
        }
        items.push(ItemRow {
            id,
            category: kind.category,
            name,
            description,
            condition,
            quantity,
            dims,
            price: format!("{price}.00"),
            value: format!("{}.00", price * depreciation / 100),
            purchased,
            warranty,
            supplier: Some(*rng.pick(SUPPLIERS)),
            tags,
            attributes: (kind.attributes)(&mut rng),
            created_at,
            updated_at: movements[first_movement..]
                .iter()
                .map(|m| m.at)
                .max()
                .unwrap_or(created_at),
            created_by: actor,
            state,
        });
    }

    // Numbers in creation order, from the theatre's counter (one UPDATE takes the whole block,
    // under the counter row's lock like a single creation does).
    items.sort_by_key(|i| i.created_at);
    let last: i64 = client
        .query_one(
            "INSERT INTO inventory_number_counters AS c (theater_id, last_value) VALUES ($1, $2)
             ON CONFLICT (theater_id) DO UPDATE SET last_value = c.last_value + $2
             RETURNING last_value",
            &[&theater_id, &(items.len() as i64)],
        )
        .await?
        .get(0);
    let first = last - items.len() as i64 + 1;

    for (chunk_index, chunk) in items.chunks(1000).enumerate() {
        let base = first + (chunk_index * 1000) as i64;
        insert_items(client, theater_id, &categories, chunk, base).await?;
    }
    for chunk in movements.chunks(2000) {
        insert_movements(client, theater_id, chunk).await?;
    }
    Ok(SeededInventory {
        movements: movements.len(),
        items: items
            .into_iter()
            .map(|i| SeededItem {
                id: i.id,
                category: i.category,
                status: i.state.status,
                quantity: i.quantity,
            })
            .collect(),
    })
}

/// The generated inventory number `{CATEGORY_CODE}-{YYYY}-{NNNNN}`, as the inventory function
/// makes it (`InventoryNumber::generated`).
fn number(category: &str, year: i32, counter: i64) -> String {
    format!("{}-{year}-{counter:05}", category.to_ascii_uppercase())
}

async fn insert_items(
    client: &impl GenericClient,
    theater_id: Uuid,
    categories: &HashMap<String, Uuid>,
    items: &[ItemRow],
    first_number: i64,
) -> anyhow::Result<()> {
    let col = |f: &dyn Fn(&ItemRow) -> Option<f64>| items.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let numbers: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(n, i)| number(i.category, i.created_at.year(), first_number + n as i64))
        .collect();
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    let descriptions: Vec<Option<&str>> = items.iter().map(|i| i.description.as_deref()).collect();
    let category_ids: Vec<Uuid> = items.iter().map(|i| categories[i.category]).collect();
    let location_ids: Vec<Option<Uuid>> = items.iter().map(|i| i.state.location).collect();
    let statuses: Vec<&str> = items.iter().map(|i| i.state.status).collect();
    let conditions: Vec<&str> = items.iter().map(|i| i.condition).collect();
    let quantities: Vec<i32> = items.iter().map(|i| i.quantity).collect();
    let widths = col(&|i| i.dims[0]);
    let heights = col(&|i| i.dims[1]);
    let depths = col(&|i| i.dims[2]);
    let weights = col(&|i| i.dims[3]);
    let prices: Vec<&str> = items.iter().map(|i| i.price.as_str()).collect();
    let values: Vec<&str> = items.iter().map(|i| i.value.as_str()).collect();
    let purchased: Vec<NaiveDate> = items.iter().map(|i| i.purchased).collect();
    let warranty: Vec<Option<NaiveDate>> = items.iter().map(|i| i.warranty).collect();
    let suppliers: Vec<Option<&str>> = items.iter().map(|i| i.supplier).collect();
    let tags: Vec<Value> = items.iter().map(|i| json!(i.tags)).collect();
    let attributes: Vec<Value> = items.iter().map(|i| i.attributes.clone()).collect();
    let holder_users: Vec<Option<Uuid>> = items.iter().map(|i| i.state.holder_user).collect();
    let holder_performances: Vec<Option<Uuid>> =
        items.iter().map(|i| i.state.holder_performance).collect();
    let due: Vec<Option<DateTime<Utc>>> = items.iter().map(|i| i.state.due_at).collect();
    let created_by: Vec<Uuid> = items.iter().map(|i| i.created_by).collect();
    let created_at: Vec<DateTime<Utc>> = items.iter().map(|i| i.created_at).collect();
    let updated_at: Vec<DateTime<Utc>> = items.iter().map(|i| i.updated_at).collect();
    client
        .execute(
            "INSERT INTO inventory_items (id, theater_id, inventory_number, name, description,
                 category_id, location_id, status, condition, quantity, width_cm, height_cm,
                 depth_cm, weight_kg, purchase_price, current_value, purchase_date, warranty_until,
                 supplier, tags, attributes, holder_user_id, holder_performance_id, due_at,
                 created_by, created_at, updated_at)
             SELECT id, $1, num, name, descr, cat, loc, status, cond, qty, w, h, d, kg,
                    price::numeric, value::numeric, bought, warranty, supplier,
                    ARRAY(SELECT jsonb_array_elements_text(tags)), attrs, hu, hp, due, by_, at, upd
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],
                         $8::text[], $9::text[], $10::int[], $11::float8[], $12::float8[],
                         $13::float8[], $14::float8[], $15::text[], $16::text[], $17::date[],
                         $18::date[], $19::text[], $20::jsonb[], $21::jsonb[], $22::uuid[],
                         $23::uuid[], $24::timestamptz[], $25::uuid[], $26::timestamptz[],
                         $27::timestamptz[])
                  AS t (id, num, name, descr, cat, loc, status, cond, qty, w, h, d, kg, price,
                        value, bought, warranty, supplier, tags, attrs, hu, hp, due, by_, at, upd)",
            &[
                &theater_id,
                &ids,
                &numbers,
                &names,
                &descriptions,
                &category_ids,
                &location_ids,
                &statuses,
                &conditions,
                &quantities,
                &widths,
                &heights,
                &depths,
                &weights,
                &prices,
                &values,
                &purchased,
                &warranty,
                &suppliers,
                &tags,
                &attributes,
                &holder_users,
                &holder_performances,
                &due,
                &created_by,
                &created_at,
                &updated_at,
            ],
        )
        .await
        .context("inserting seeded items")?;
    Ok(())
}

async fn insert_movements(
    client: &impl GenericClient,
    theater_id: Uuid,
    movements: &[Movement],
) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = movements.iter().map(|_| Uuid::now_v7()).collect();
    let items: Vec<Uuid> = movements.iter().map(|m| m.item).collect();
    let kinds: Vec<&str> = movements.iter().map(|m| m.kind).collect();
    let quantities: Vec<i32> = movements.iter().map(|m| m.quantity).collect();
    let from_status: Vec<Option<&str>> = movements.iter().map(|m| m.from_status).collect();
    let to_status: Vec<&str> = movements.iter().map(|m| m.to_status).collect();
    let from_loc: Vec<Option<Uuid>> = movements.iter().map(|m| m.from_location).collect();
    let to_loc: Vec<Option<Uuid>> = movements.iter().map(|m| m.to_location).collect();
    let holder_users: Vec<Option<Uuid>> = movements.iter().map(|m| m.holder_user).collect();
    let holder_perfs: Vec<Option<Uuid>> = movements.iter().map(|m| m.holder_performance).collect();
    let due: Vec<Option<DateTime<Utc>>> = movements.iter().map(|m| m.due_at).collect();
    let comments: Vec<Option<&str>> = movements.iter().map(|m| m.comment.as_deref()).collect();
    let actors: Vec<Option<Uuid>> = movements.iter().map(|m| m.actor).collect();
    let at: Vec<DateTime<Utc>> = movements.iter().map(|m| m.at).collect();
    client
        .execute(
            "INSERT INTO inventory_movements (id, theater_id, item_id, kind, quantity, from_status,
                 to_status, from_location_id, to_location_id, holder_user_id,
                 holder_performance_id, due_at, comment, actor_id, created_at)
             SELECT id, $1, item, kind, qty, fs, ts, fl, tl, hu, hp, due, comment, actor, at
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[],
                         $8::uuid[], $9::uuid[], $10::uuid[], $11::uuid[], $12::timestamptz[],
                         $13::text[], $14::uuid[], $15::timestamptz[])
                  AS t (id, item, kind, qty, fs, ts, fl, tl, hu, hp, due, comment, actor, at)",
            &[
                &theater_id,
                &ids,
                &items,
                &kinds,
                &quantities,
                &from_status,
                &to_status,
                &from_loc,
                &to_loc,
                &holder_users,
                &holder_perfs,
                &due,
                &comments,
                &actors,
                &at,
            ],
        )
        .await
        .context("inserting seeded movements")?;
    Ok(())
}

/// The theatre's productions, by title.
async fn performance_ids(
    client: &impl GenericClient,
    theater_id: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    Ok(client
        .query(
            "SELECT id FROM performances WHERE theater_id = $1 AND deleted_at IS NULL ORDER BY title",
            &[&theater_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Kit lists: each of `performances` needs some of the items that are not written off.
pub async fn insert_kit_lists(
    client: &impl GenericClient,
    theater_id: Uuid,
    items: &[SeededItem],
    performances: &[Uuid],
    seed: u64,
) -> anyhow::Result<usize> {
    let usable: Vec<&SeededItem> = items.iter().filter(|i| i.status != "written_off").collect();
    if usable.is_empty() {
        return Ok(0);
    }
    let mut rng = Rng::new(seed.wrapping_add(7));
    let mut lines = 0;
    for &performance in performances {
        let mut taken = std::collections::HashSet::new();
        for _ in 0..rng.range(10, 18) {
            let item = *rng.pick(&usable);
            if !taken.insert(item.id) {
                continue;
            }
            let quantity = rng.range(1, item.quantity as i64) as i32;
            client
                .execute(
                    "INSERT INTO performance_kit_items (id, theater_id, performance_id, item_id,
                         quantity, section)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &Uuid::now_v7(),
                        &theater_id,
                        &performance,
                        &item.id,
                        &quantity,
                        &section_of(item.category),
                    ],
                )
                .await?;
            client
                .execute(
                    "INSERT INTO inventory_item_performances (theater_id, item_id, performance_id)
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&theater_id, &item.id, &performance],
                )
                .await?;
            lines += 1;
        }
    }
    Ok(lines)
}

// ---------------------------------------------------------------------------------------------
// Documents

struct DocumentSpec {
    category: &'static str,
    title: &'static str,
    description: &'static str,
    tags: &'static [&'static str],
    /// The production it belongs to (by title).
    performance: Option<&'static str>,
    department: Option<&'static str>,
    filename: &'static str,
    /// The text of each version, oldest first.
    versions: &'static [&'static str],
}

const DOCUMENTS: &[DocumentSpec] = &[
    DocumentSpec {
        category: "technical",
        title: "Технический райдер «Вишнёвый сад»",
        description: "Требования к площадке для выездных показов.",
        tags: &["райдер", "гастроли"],
        performance: Some("Вишнёвый сад"),
        department: Some("stage"),
        filename: "Райдер Вишнёвый сад.txt",
        versions: &[
            "Технический райдер спектакля «Вишнёвый сад».\nСцена: ширина зеркала не менее 10 м, глубина 12 м.\nМонтаж декораций 6 часов, демонтаж 3 часа.\nСвет: 24 прожектора профильных, пульт на 48 каналов.",
            "Технический райдер спектакля «Вишнёвый сад», редакция 2.\nСцена: ширина зеркала не менее 10 м, глубина 12 м, колосники 14 м.\nМонтаж декораций 6 часов, демонтаж 3 часа; нужны 4 монтировщика площадки.\nСвет: 24 прожектора профильных, 8 линзовых, пульт на 48 каналов.\nЗвук: 4 радиомикрофона, два сценических монитора.",
            "Технический райдер спектакля «Вишнёвый сад», редакция 3 (гастроли).\nСцена: ширина зеркала не менее 10 м, глубина 12 м, колосники 14 м, 6 штанкетов.\nМонтаж декораций 7 часов, демонтаж 3 часа; 4 монтировщика и 2 осветителя площадки.\nСвет: 24 прожектора профильных, 8 линзовых, генератор дыма, пульт на 48 каналов.\nЗвук: 4 радиомикрофона, два сценических монитора, портальные колонки.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Монтировочная опись «Ревизор»",
        description: "Перечень декораций и порядок монтажа.",
        tags: &["монтаж", "декорации"],
        performance: Some("Ревизор"),
        department: Some("stage"),
        filename: "Монтировочная опись Ревизор.txt",
        versions: &[
            "Монтировочная опись спектакля «Ревизор».\n1. Станки 2×1 м — 6 шт.\n2. Фасад дома городничего.\n3. Задник «Городская площадь».",
            "Монтировочная опись спектакля «Ревизор», исправленная.\n1. Станки 2×1 м — 8 шт.\n2. Фасад дома городничего с окном.\n3. Задник «Городская площадь», падуги 3 шт.\n4. Мебель: диван, кресла 4 шт., стол обеденный.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Световая партитура «Вишнёвый сад»",
        description: "Партитура световых картин по актам.",
        tags: &["свет", "партитура"],
        performance: Some("Вишнёвый сад"),
        department: Some("light"),
        filename: "Световая партитура.txt",
        versions: &[
            "Световая партитура. Акт I: рассвет в детской, 12 картин.\nАкт II: закат в поле, контровой свет.",
            "Световая партитура, редакция 2. Акт I: рассвет в детской, 14 картин.\nАкт II: закат в поле, контровой свет, дым.\nАкт III: бал, люстра и боковые прожекторы.\nАкт IV: пустой дом, холодный свет.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Схема развески декораций «Гроза»",
        description: "Штанкеты и подвесные элементы.",
        tags: &["развеска", "декорации"],
        performance: Some("Гроза"),
        department: Some("stage"),
        filename: "Развеска Гроза.txt",
        versions: &[
            "Схема развески декораций спектакля «Гроза».\nШтанкет 3: задник «Волга».\nШтанкет 7: падуга.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Инструкция по охране труда на колосниках",
        description: "Для машинно-декорационного цеха.",
        tags: &["охрана труда", "инструкция"],
        performance: None,
        department: Some("stage"),
        filename: "Инструкция колосники.txt",
        versions: &[
            "Инструкция по охране труда при работе на колосниковой решётке.\nРаботы на высоте выполняются только со страховочной системой.",
            "Инструкция по охране труда при работе на колосниковой решётке, редакция 2025.\nРаботы на высоте выполняются только со страховочной системой.\nПеред подъёмом штанкета проверить крепление декораций и отсутствие людей под ним.",
        ],
    },
    DocumentSpec {
        category: "orders",
        title: "Приказ о начале репетиций «Гроза»",
        description: "Репетиционный период и состав.",
        tags: &["приказ", "репетиции"],
        performance: Some("Гроза"),
        department: None,
        filename: "Приказ репетиции Гроза.txt",
        versions: &[
            "Приказ № 45. Начать репетиционный период спектакля «Гроза» с 1 декабря.\nРежиссёр-постановщик И. Ковалёва. Ответственный — помощник режиссёра П. Орлов.",
        ],
    },
    DocumentSpec {
        category: "orders",
        title: "Приказ о противопожарном режиме",
        description: "Порядок применения открытого огня на сцене.",
        tags: &["приказ", "пожарная безопасность"],
        performance: None,
        department: None,
        filename: "Приказ противопожарный режим.txt",
        versions: &[
            "Приказ № 12. О противопожарном режиме в театре.\nПрименение открытого огня на сцене допускается только по согласованию.",
            "Приказ № 12 в новой редакции. О противопожарном режиме в театре.\nПрименение открытого огня и пиротехники на сцене допускается только по согласованию с пожарной охраной.\nВсе декорации проходят огнезащитную обработку раз в год.",
        ],
    },
    DocumentSpec {
        category: "contracts",
        title: "Договор аренды световой аппаратуры",
        description: "Аренда приборов на гастроли.",
        tags: &["договор", "свет", "гастроли"],
        performance: None,
        department: Some("light"),
        filename: "Договор аренды света.txt",
        versions: &[
            "Договор аренды № 7/25. Арендодатель передаёт во временное пользование 12 прожекторов с полным движением.",
            "Договор аренды № 7/25 с дополнительным соглашением. Арендодатель передаёт во временное пользование 12 прожекторов с полным движением и пульт.\nСрок аренды продлён до конца гастролей.",
        ],
    },
    DocumentSpec {
        category: "contracts",
        title: "Договор с художником-постановщиком «Гроза»",
        description: "Эскизы декораций и костюмов.",
        tags: &["договор", "художник"],
        performance: Some("Гроза"),
        department: None,
        filename: "Договор художник.txt",
        versions: &[
            "Договор авторского заказа. Художник-постановщик создаёт эскизы декораций и костюмов к спектаклю «Гроза».",
        ],
    },
    DocumentSpec {
        category: "finance",
        title: "Смета постановки «Гроза»",
        description: "Расходы на декорации, костюмы и реквизит.",
        tags: &["смета"],
        performance: Some("Гроза"),
        department: None,
        filename: "Смета Гроза.csv",
        versions: &[
            "статья;сумма\nдекорации;850000\nкостюмы;420000\nреквизит;95000",
            "статья;сумма\nдекорации;910000\nкостюмы;455000\nреквизит;110000\nсвет (аренда);60000",
            "статья;сумма\nдекорации;910000\nкостюмы;470000\nреквизит;110000\nсвет (аренда);60000\nгрим и парики;38000",
        ],
    },
    DocumentSpec {
        category: "finance",
        title: "Акт списания реквизита за квартал",
        description: "Списанные предметы и их остаточная стоимость.",
        tags: &["списание", "акт"],
        performance: None,
        department: Some("props"),
        filename: "Акт списания.txt",
        versions: &[
            "Акт списания. Реквизит, пришедший в негодность: бокалы стеклянные 6 шт., веер 1 шт.\nОстаточная стоимость 4 200 руб.",
        ],
    },
    DocumentSpec {
        category: "hr",
        title: "График отпусков технических цехов",
        description: "На следующий сезон.",
        tags: &["график", "отпуска"],
        performance: None,
        department: None,
        filename: "График отпусков.txt",
        versions: &[
            "График отпусков. Машинно-декорационный цех: июль. Осветительный цех: июль–август.",
            "График отпусков, согласованный. Машинно-декорационный цех: июль. Осветительный цех: июль–август. Реквизиторский цех: август.",
        ],
    },
    DocumentSpec {
        category: "hr",
        title: "Должностная инструкция заведующего реквизиторским цехом",
        description: "Обязанности и ответственность.",
        tags: &["инструкция"],
        performance: None,
        department: Some("props"),
        filename: "Инструкция завреквизиторским цехом.txt",
        versions: &[
            "Заведующий реквизиторским цехом отвечает за хранение, выдачу и учёт реквизита, за подготовку реквизита к спектаклям и репетициям.",
        ],
    },
    DocumentSpec {
        category: "creative",
        title: "Пьеса «Ревизор» — рабочий экземпляр",
        description: "С режиссёрскими купюрами.",
        tags: &["пьеса", "текст"],
        performance: Some("Ревизор"),
        department: None,
        filename: "Ревизор рабочий экземпляр.txt",
        versions: &[
            "Н. В. Гоголь. Ревизор. Действие первое. Городничий: Я пригласил вас, господа, с тем, чтобы сообщить вам пренеприятное известие: к нам едет ревизор.",
            "Н. В. Гоголь. Ревизор. Рабочий экземпляр с купюрами.\nДействие первое. Городничий: Я пригласил вас, господа, с тем, чтобы сообщить вам пренеприятное известие: к нам едет ревизор.\nАммос Фёдорович: Как ревизор?",
        ],
    },
    DocumentSpec {
        category: "creative",
        title: "Эскизы костюмов «Двенадцатая ночь» — пояснения",
        description: "Пояснительная записка художника по костюмам.",
        tags: &["эскизы", "костюмы"],
        performance: Some("Двенадцатая ночь"),
        department: Some("costume"),
        filename: "Эскизы костюмов пояснения.txt",
        versions: &[
            "Костюмы решены в эпохе позднего Возрождения: камзолы, плащи, шляпы с перьями. Виола в мужском костюме.",
        ],
    },
    DocumentSpec {
        category: "promo",
        title: "Программка «Вишнёвый сад»",
        description: "Текст программки для печати.",
        tags: &["программка"],
        performance: Some("Вишнёвый сад"),
        department: None,
        filename: "Программка Вишнёвый сад.txt",
        versions: &[
            "А. П. Чехов. Вишнёвый сад. Комедия в четырёх действиях. Продолжительность 3 часа 10 минут с антрактом.",
            "А. П. Чехов. Вишнёвый сад. Комедия в четырёх действиях. Режиссёр-постановщик А. Миронов. Продолжительность 3 часа 10 минут с одним антрактом.",
        ],
    },
    DocumentSpec {
        category: "promo",
        title: "Афиша на месяц",
        description: "Тексты для сайта и афишных тумб.",
        tags: &["афиша"],
        performance: None,
        department: None,
        filename: "Афиша.txt",
        versions: &["В этом месяце: «Вишнёвый сад», «Ревизор». Скоро премьера — «Гроза»."],
    },
    DocumentSpec {
        category: "other",
        title: "Протокол технического совещания",
        description: "Подготовка к выпуску «Грозы».",
        tags: &["протокол", "совещание"],
        performance: Some("Гроза"),
        department: None,
        filename: "Протокол совещания.txt",
        versions: &[
            "Протокол технического совещания. Присутствовали: технический директор, заведующие цехами.\nРешили: изготовить станки и задник до конца месяца, провести монтировочную репетицию.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Звуковая партитура «Ревизор»",
        description: "Фонограммы и реплики.",
        tags: &["звук", "партитура"],
        performance: Some("Ревизор"),
        department: Some("sound"),
        filename: "Звуковая партитура Ревизор.txt",
        versions: &[
            "Звуковая партитура. Фонограмма 1: колокольный звон. Фонограмма 2: колокольчик тройки.",
            "Звуковая партитура, редакция 2. Фонограмма 1: колокольный звон. Фонограмма 2: колокольчик тройки. Фонограмма 3: гроза за окном.",
        ],
    },
    DocumentSpec {
        category: "technical",
        title: "Паспорт огнезащитной обработки декораций",
        description: "Акт и сертификат на пропитку.",
        tags: &["огнезащита", "сертификат"],
        performance: None,
        department: Some("stage"),
        filename: "Огнезащита.txt",
        versions: &[
            "Акт огнезащитной обработки декораций и одежды сцены. Состав: пропитка для тканей, срок действия один год.",
        ],
    },
];

/// The storage key of verified bytes, as the worker makes it from the upload key
/// (`worker::versioning::verified_key`).
fn verified_key(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    let original = crate::keys::document_original(theater_id, document_id, version_id);
    match original.strip_suffix("/original") {
        Some(stem) => format!("{stem}/verified"),
        None => format!("{original}.verified"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sentences that vary the text of documents past the built-in titles.
const DOCUMENT_NOTES: &[&str] = &[
    "Согласовано с техническим директором.",
    "Копия передана в бухгалтерию.",
    "Срок исполнения — до конца сезона.",
    "Замечания цехов учтены в этой редакции.",
    "Подлинник хранится в архиве театра.",
    "Ответственный — заведующий постановочной частью.",
    "Приложение: спецификация и фотографии.",
    "Действует с начала гастрольного периода.",
];

/// Adds `count` documents with one to four versions each (see [`Size::documents`]); their
/// bytes go to `storage`. Returns the documents and versions written.
pub async fn documents(
    client: &impl GenericClient,
    storage: &Storage,
    theater_id: Uuid,
    count: usize,
    seed: u64,
) -> anyhow::Result<(usize, usize)> {
    insert_documents(client, storage, theater_id, count, seed).await
}

async fn insert_documents(
    client: &impl GenericClient,
    storage: &Storage,
    theater_id: Uuid,
    count: usize,
    seed: u64,
) -> anyhow::Result<(usize, usize)> {
    let lookup = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, Uuid>(1)))
            .collect::<HashMap<_, _>>()
    };
    let categories = lookup(
        client
            .query(
                "SELECT code, id FROM document_categories WHERE theater_id = $1",
                &[&theater_id],
            )
            .await?,
    );
    let departments = lookup(
        client
            .query(
                "SELECT code, id FROM departments WHERE theater_id = $1 AND deleted_at IS NULL",
                &[&theater_id],
            )
            .await?,
    );
    let performances = lookup(
        client
            .query(
                "SELECT title, id FROM performances WHERE theater_id = $1 AND deleted_at IS NULL",
                &[&theater_id],
            )
            .await?,
    );
    let uploaders = people(client, theater_id).await?.actors;
    let mut rng = Rng::new(seed.wrapping_add(11));
    let now = Utc::now();
    let mut versions = 0;
    for n in 0..count {
        // Past the built-in titles they come round again, numbered, with varied text, so a
        // benchmark theatre holds thousands of documents that search tells apart.
        let spec = &DOCUMENTS[n % DOCUMENTS.len()];
        let round = n / DOCUMENTS.len();
        let title = match round {
            0 => spec.title.to_string(),
            _ => format!("{} № {}", spec.title, round + 1),
        };
        let category = *categories
            .get(spec.category)
            .with_context(|| format!("no document category {}", spec.category))?;
        let document_id = Uuid::now_v7();
        let uploader = *rng.pick(&uploaders);
        let created = now - Duration::days(rng.range(30, 400));
        let tags: Vec<&str> = spec.tags.to_vec();
        client
            .execute(
                "INSERT INTO documents (id, theater_id, category_id, title, description, tags,
                     status, department_id, performance_id, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10)",
                &[
                    &document_id,
                    &theater_id,
                    &category,
                    &title,
                    &spec.description,
                    &tags,
                    &spec.department.and_then(|d| departments.get(d).copied()),
                    &spec.performance.and_then(|p| performances.get(p).copied()),
                    &uploader,
                    &created,
                ],
            )
            .await
            .with_context(|| format!("document {title}"))?;
        client
            .execute(
                "INSERT INTO document_tags (id, theater_id, name)
                 SELECT gen_random_uuid(), $1, unnest($2::text[])
                 ON CONFLICT (theater_id, name) DO NOTHING",
                &[&theater_id, &tags],
            )
            .await?;
        let content_type = if spec.filename.ends_with(".csv") {
            "text/csv"
        } else {
            "text/plain"
        };
        let mut current = None;
        let mut at = created;
        for (n, text) in spec.versions.iter().enumerate() {
            let text = match round {
                0 => text.to_string(),
                _ => format!("{text} {}", rng.pick(DOCUMENT_NOTES)),
            };
            let version_id = Uuid::now_v7();
            let bytes = text.as_bytes().to_vec();
            let size = bytes.len() as i64;
            let sha256 = hex(&Sha256::digest(&bytes));
            let key = verified_key(theater_id, document_id, version_id);
            storage.put(&key, bytes, content_type).await?;
            let etag = storage
                .head(&key)
                .await?
                .and_then(|o| o.etag)
                .with_context(|| format!("no ETag for the seeded object {key}"))?;
            let number = n as i32 + 1;
            let when = at.min(now - Duration::minutes(5));
            client
                .execute(
                    "INSERT INTO document_versions (id, theater_id, document_id, number, status,
                         original_filename, declared_size, declared_content_type, size, sha256,
                         content_type, storage_key, extracted_text, comment, uploaded_by,
                         verified_etag, attempts, processing_started_at, completed_at, created_at)
                     VALUES ($1, $2, $3, $4, 'ready', $5, $6, $7, $6, $8, $7, $9, $10, $11, $12,
                             $13, 1, $14, $14, $14)",
                    &[
                        &version_id,
                        &theater_id,
                        &document_id,
                        &number,
                        &spec.filename,
                        &size,
                        &content_type,
                        &sha256,
                        &key,
                        &text,
                        &(number > 1).then(|| format!("Редакция {number}")),
                        &uploader,
                        &etag,
                        &when,
                    ],
                )
                .await?;
            current = Some((version_id, number, when));
            versions += 1;
            at += Duration::days(rng.range(3, 25));
        }
        if let Some((version_id, number, at)) = current {
            // The search vector follows the current version's text (documents_search_update).
            client
                .execute(
                    "UPDATE documents SET current_version_id = $2, last_version_number = $3,
                         updated_at = $4
                     WHERE id = $1",
                    &[&document_id, &version_id, &number, &at],
                )
                .await?;
        }
    }
    Ok((count, versions))
}

// ---------------------------------------------------------------------------------------------
// Staff at scale (the benchmark theatre)

/// Who the generated staff are: (role code, department code, position), a realistic mix.
const STAFF_MIX: &[(&str, Option<&str>, &str)] = &[
    ("performer", None, "Артист драмы"),
    ("performer", None, "Артист драмы"),
    ("performer", None, "Артист балета"),
    ("performer", None, "Артист хора"),
    ("department_head", Some("props"), "Реквизитор"),
    ("department_head", Some("costume"), "Костюмер"),
    ("department_head", Some("light"), "Осветитель"),
    ("department_head", Some("sound"), "Звукорежиссёр"),
    ("department_head", Some("stage"), "Машинист сцены"),
    ("department_head", Some("makeup"), "Гримёр"),
    ("department_head", Some("video"), "Видеоинженер"),
    ("producer", Some("stage"), "Помощник режиссёра"),
    ("tech_director", None, "Заместитель технического директора"),
    ("accountant", None, "Бухгалтер"),
    ("viewer", None, "Стажёр"),
];

/// (first name, last name) pairs that agree in gender.
const NAMES: &[(&str, &str)] = &[
    ("Анна", "Иванова"),
    ("Мария", "Петрова"),
    ("Екатерина", "Смирнова"),
    ("Наталья", "Козлова"),
    ("Татьяна", "Новикова"),
    ("Ирина", "Морозова"),
    ("Юлия", "Волкова"),
    ("Ксения", "Зайцева"),
    ("Алексей", "Павлов"),
    ("Сергей", "Семёнов"),
    ("Андрей", "Голубев"),
    ("Михаил", "Виноградов"),
    ("Николай", "Богданов"),
    ("Владимир", "Фёдоров"),
    ("Дмитрий", "Михайлов"),
    ("Григорий", "Беляев"),
];

/// Adds `count` staff members sharing one password hash (emails
/// `staff-NNN.<theatre>@bench.theatre`, numbered after the ones a previous run added), with the
/// seeded roles in a realistic mix and the trades' departments.
pub async fn staff(
    client: &impl GenericClient,
    theater_id: Uuid,
    count: usize,
    password_hash: &str,
    seed: u64,
) -> anyhow::Result<usize> {
    let domain = format!("{}@bench.theatre", &theater_id.simple().to_string()[..8]);
    let before: i64 = client
        .query_one(
            "SELECT count(*) FROM users WHERE theater_id = $1 AND email LIKE '%.' || $2",
            &[&theater_id, &domain],
        )
        .await?
        .get(0);
    let mut rng = Rng::new(seed.wrapping_add(13));
    let (mut ids, mut emails, mut firsts, mut lasts, mut positions, mut roles, mut departments) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for n in 0..count {
        let (role, department, position) = STAFF_MIX[n % STAFF_MIX.len()];
        let (first, last) = *rng.pick(NAMES);
        ids.push(Uuid::now_v7());
        emails.push(format!("staff-{:03}.{domain}", before as usize + n + 1));
        firsts.push(first);
        lasts.push(last);
        positions.push(position);
        roles.push(role);
        departments.push(department);
    }
    client
        .execute(
            "INSERT INTO users (id, theater_id, email, password_hash, first_name, last_name, position)
             SELECT u.id, $1, u.email, $2, u.first_name, u.last_name, u.position
             FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
                  AS u (id, email, first_name, last_name, position)",
            &[&theater_id, &password_hash, &ids, &emails, &firsts, &lasts, &positions],
        )
        .await
        .context("inserting the generated staff")?;
    let with_role = client
        .execute(
            "INSERT INTO user_roles (theater_id, user_id, role_id)
             SELECT $1, u.id, r.id
             FROM unnest($2::uuid[], $3::text[]) AS u (id, role)
             JOIN roles r ON r.theater_id = $1 AND r.code = u.role",
            &[&theater_id, &ids, &roles],
        )
        .await?;
    anyhow::ensure!(with_role as usize == count, "a seeded role is missing");
    client
        .execute(
            "INSERT INTO user_departments (theater_id, user_id, department_id)
             SELECT $1, u.id, d.id
             FROM unnest($2::uuid[], $3::text[]) AS u (id, department)
             JOIN departments d ON d.theater_id = $1 AND d.code = u.department
                               AND d.deleted_at IS NULL",
            &[&theater_id, &ids, &departments],
        )
        .await?;
    Ok(count)
}

// ---------------------------------------------------------------------------------------------
// Productions at scale

/// (title, author, genre, minutes) of the plays a repertory theatre stages again and again.
const PLAYS: &[(&str, &str, &str, i32)] = &[
    ("Чайка", "Антон Чехов", "комедия", 160),
    ("Дядя Ваня", "Антон Чехов", "драма", 170),
    ("Три сестры", "Антон Чехов", "драма", 190),
    ("Ревизор", "Николай Гоголь", "комедия", 150),
    ("Женитьба", "Николай Гоголь", "комедия", 120),
    ("Горе от ума", "Александр Грибоедов", "комедия", 180),
    ("Бесприданница", "Александр Островский", "драма", 165),
    ("Лес", "Александр Островский", "комедия", 175),
    ("На дне", "Максим Горький", "драма", 180),
    ("Дни Турбиных", "Михаил Булгаков", "драма", 185),
    ("Мастер и Маргарита", "Михаил Булгаков", "мистерия", 210),
    ("Гамлет", "Уильям Шекспир", "трагедия", 200),
    ("Ромео и Джульетта", "Уильям Шекспир", "трагедия", 170),
    ("Король Лир", "Уильям Шекспир", "трагедия", 195),
    ("Тартюф", "Мольер", "комедия", 140),
    ("Мнимый больной", "Мольер", "комедия", 130),
    ("Доходное место", "Александр Островский", "комедия", 160),
    (
        "Свадьба Кречинского",
        "Александр Сухово-Кобылин",
        "комедия",
        150,
    ),
    ("Живой труп", "Лев Толстой", "драма", 170),
    ("Снегурочка", "Александр Островский", "сказка", 110),
    ("Щелкунчик", "Эрнст Гофман", "сказка", 100),
    ("Маленький принц", "Антуан де Сент-Экзюпери", "притча", 90),
    ("Вишнёвый сад", "Антон Чехов", "комедия", 175),
    ("Пигмалион", "Бернард Шоу", "комедия", 150),
];

const DIRECTORS: &[&str] = &[
    "Ирина Ковалёва",
    "Олег Сидоров",
    "Анна Белова",
    "Виктор Гаврилов",
    "Людмила Крылова",
    "Сергей Макаров",
];

/// Adds `count` productions (the plays again with the year of their staging past the first
/// round), each with the passport's nine sections as the API creates them; about half are in
/// the repertoire, numbered after the theatre's current order.
pub async fn productions(
    client: &impl GenericClient,
    theater_id: Uuid,
    count: usize,
    seed: u64,
) -> anyhow::Result<Vec<Uuid>> {
    let mut order: i32 = client
        .query_one(
            "SELECT coalesce(max(repertoire_order), 0) FROM performances WHERE theater_id = $1",
            &[&theater_id],
        )
        .await?
        .get(0);
    let mut rng = Rng::new(seed.wrapping_add(17));
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let (play, author, genre, minutes) = PLAYS[n % PLAYS.len()];
        let round = n / PLAYS.len();
        let year = 2026 - (round as i32 % 20);
        let title = match round {
            0 => play.to_string(),
            _ => format!("{play} (постановка {year} г.)"),
        };
        let status = match rng.below(100) {
            0..45 => "in_repertoire",
            45..60 => "preparation",
            60..70 => "paused",
            _ => "archived",
        };
        let premiere = (status != "preparation")
            .then(|| {
                NaiveDate::from_ymd_opt(
                    year - rng.range(0, 3) as i32,
                    rng.range(1, 12) as u32,
                    rng.range(1, 28) as u32,
                )
            })
            .flatten();
        let repertoire_order = (status == "in_repertoire").then(|| {
            order += 1;
            order
        });
        let age = *rng.pick(&["0+", "6+", "12+", "16+", "18+"]);
        let director = *rng.pick(DIRECTORS);
        let id = Uuid::now_v7();
        client
            .execute(
                "INSERT INTO performances (id, theater_id, title, author, director, genre,
                     age_rating, duration_minutes, intermissions, premiere_date, description,
                     status, repertoire_order)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &id,
                    &theater_id,
                    &title,
                    &author,
                    &director,
                    &genre,
                    &age,
                    &minutes,
                    &((minutes > 120) as i32),
                    &premiere,
                    &format!("{genre} по пьесе «{play}» ({author})."),
                    &status,
                    &repertoire_order,
                ],
            )
            .await
            .with_context(|| format!("performance {title}"))?;
        crate::passport::create_standard_sections(client, theater_id, id).await?;
        ids.push(id);
    }
    Ok(ids)
}

// ---------------------------------------------------------------------------------------------
// Schedule

/// What [`schedule`] wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeededSchedule {
    pub events: usize,
    pub participants: usize,
    pub reservations: usize,
}

/// A slot a venue of some kind can hold every day: local start and end (hours, minutes), the
/// kind of event, set-up and strike minutes. A venue's slots never overlap, buffers included.
type Slot = ((u32, u32), (u32, u32), &'static str, i32, i32);

fn daily_slots(venue_kind: &str) -> &'static [Slot] {
    match venue_kind {
        "main_stage" => &[
            ((11, 0), (14, 0), "rehearsal", 0, 0),
            ((15, 0), (17, 30), "tech_rehearsal", 0, 0),
            ((19, 0), (22, 0), "performance", 60, 30),
        ],
        "small_stage" => &[
            ((12, 0), (15, 0), "dress_rehearsal", 0, 0),
            ((19, 0), (21, 30), "performance", 45, 30),
        ],
        "rehearsal" => &[
            ((10, 0), (13, 0), "rehearsal", 0, 0),
            ((14, 0), (17, 0), "rehearsal", 0, 0),
            ((18, 0), (19, 30), "meeting", 0, 0),
        ],
        "workshop" | "warehouse" => &[((9, 0), (12, 0), "maintenance", 0, 0)],
        _ => &[((10, 0), (12, 0), "other", 0, 0)],
    }
}

fn event_title(kind: &str, production: Option<&str>, rng: &mut Rng) -> String {
    let of = |what: &str| match production {
        Some(title) => format!("{what}: «{title}»"),
        None => what.to_string(),
    };
    match kind {
        "performance" => production.map_or("Спектакль".into(), |t| t.to_string()),
        "rehearsal" => of("Репетиция"),
        "tech_rehearsal" => of("Монтировочная репетиция"),
        "dress_rehearsal" => of("Генеральная репетиция"),
        "meeting" => rng
            .pick(&[
                "Планёрка цехов",
                "Художественный совет",
                "Совещание по выпуску",
            ])
            .to_string(),
        "maintenance" => rng
            .pick(&[
                "Профилактика сценического оборудования",
                "Инвентаризация склада",
                "Ремонт декораций",
            ])
            .to_string(),
        _ => "Прочее".into(),
    }
}

/// Adds `count` events from `from` on (over `days` days, or more when `count` needs more slots):
/// every venue's daily slots are candidates, `count` of them are picked at random and filled —
/// performances of the repertoire in the evenings, rehearsals of productions in preparation,
/// meetings and maintenance — with participants and, for main-stage performances, their kit
/// reserved. Past events are completed (a few cancelled), the coming week mostly confirmed. Slots
/// a venue already holds are skipped (the no-double-booking constraint decides).
pub async fn schedule(
    client: &impl GenericClient,
    theater_id: Uuid,
    from: NaiveDate,
    days: u32,
    count: usize,
    seed: u64,
) -> anyhow::Result<SeededSchedule> {
    if count == 0 {
        return Ok(SeededSchedule::default());
    }
    let venues: Vec<(Uuid, String)> = client
        .query(
            "SELECT id, kind FROM venues
             WHERE theater_id = $1 AND deleted_at IS NULL AND is_active ORDER BY code",
            &[&theater_id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    anyhow::ensure!(!venues.is_empty(), "the theatre has no venues");
    let productions = |status: &'static str| async move {
        anyhow::Ok(
            client
                .query(
                    "SELECT id, title FROM performances
                     WHERE theater_id = $1 AND deleted_at IS NULL AND status = $2 ORDER BY title",
                    &[&theater_id, &status],
                )
                .await?
                .iter()
                .map(|r| (r.get::<_, Uuid>(0), r.get::<_, String>(1)))
                .collect::<Vec<_>>(),
        )
    };
    let repertoire = productions("in_repertoire").await?;
    let preparation = productions("preparation").await?;
    let mut rng = Rng::new(seed.wrapping_add(19));

    // Every (day, venue, slot) of the window, then `count` of them in random order.
    let per_day: usize = venues.iter().map(|(_, k)| daily_slots(k).len()).sum();
    let days = (days as usize).max(count.div_ceil(per_day));
    let mut candidates: Vec<(usize, usize, usize)> = Vec::with_capacity(days * per_day);
    for day in 0..days {
        for (v, (_, kind)) in venues.iter().enumerate() {
            for s in 0..daily_slots(kind).len() {
                candidates.push((day, v, s));
            }
        }
    }
    for i in (1..candidates.len()).rev() {
        candidates.swap(i, rng.below(i + 1));
    }
    candidates.truncate(count);
    candidates.sort_unstable();

    let today = Utc::now().date_naive();
    let mut rows = EventRows::default();
    for (day, v, s) in candidates {
        let (venue_id, venue_kind) = &venues[v];
        let ((sh, sm), (eh, em), kind, setup, strike) = daily_slots(venue_kind)[s];
        let date = from + Duration::days(day as i64);
        let production = match kind {
            "performance" => (!repertoire.is_empty()).then(|| rng.pick(&repertoire).clone()),
            "rehearsal" | "tech_rehearsal" | "dress_rehearsal" => {
                let pool = if preparation.is_empty() || rng.chance(30) {
                    &repertoire
                } else {
                    &preparation
                };
                (!pool.is_empty()).then(|| rng.pick(pool).clone())
            }
            _ => None,
        };
        let status = if date < today {
            if rng.chance(4) {
                "cancelled"
            } else {
                "completed"
            }
        } else if date <= today + Duration::days(7) && rng.chance(70) {
            "confirmed"
        } else if rng.chance(2) {
            "cancelled"
        } else {
            "planned"
        };
        rows.ids.push(Uuid::now_v7());
        rows.kinds.push(kind);
        rows.titles.push(event_title(
            kind,
            production.as_ref().map(|p| p.1.as_str()),
            &mut rng,
        ));
        rows.performances.push(production.map(|p| p.0));
        rows.venues.push(*venue_id);
        rows.dates.push(date);
        rows.starts
            .push(chrono::NaiveTime::from_hms_opt(sh, sm, 0).expect("a time of day"));
        rows.ends
            .push(chrono::NaiveTime::from_hms_opt(eh, em, 0).expect("a time of day"));
        rows.setups.push(setup);
        rows.strikes.push(strike);
        rows.statuses.push(status);
    }
    let mut seeded = SeededSchedule::default();
    let mut inserted: Vec<(Uuid, String)> = Vec::new();
    // Local wall-clock times in the theatre's zone; a slot a venue already holds is skipped.
    for chunk in (0..rows.ids.len()).collect::<Vec<_>>().chunks(2000) {
        let (a, b) = (chunk[0], chunk[chunk.len() - 1] + 1);
        let written = client
            .query(
                "INSERT INTO events (id, theater_id, kind, title, performance_id, venue_id,
                     starts_at, ends_at, setup_minutes, strike_minutes, status)
                 SELECT e.id, $1, e.kind, e.title, e.performance_id, e.venue_id,
                        (e.day + e.starts) AT TIME ZONE t.timezone,
                        (e.day + e.ends) AT TIME ZONE t.timezone,
                        e.setup, e.strike, e.status
                 FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[],
                             $7::date[], $8::time[], $9::time[], $10::int[], $11::int[],
                             $12::text[])
                      AS e (id, kind, title, performance_id, venue_id, day, starts, ends,
                            setup, strike, status)
                 CROSS JOIN (SELECT timezone FROM theaters WHERE id = $1) t
                 ON CONFLICT DO NOTHING
                 RETURNING id, kind",
                &[
                    &theater_id,
                    &&rows.ids[a..b],
                    &&rows.kinds[a..b],
                    &&rows.titles[a..b],
                    &&rows.performances[a..b],
                    &&rows.venues[a..b],
                    &&rows.dates[a..b],
                    &&rows.starts[a..b],
                    &&rows.ends[a..b],
                    &&rows.setups[a..b],
                    &&rows.strikes[a..b],
                    &&rows.statuses[a..b],
                ],
            )
            .await
            .context("inserting seeded events")?;
        inserted.extend(written.iter().map(|r| (r.get(0), r.get(1))));
    }
    seeded.events = inserted.len();
    seeded.participants = insert_participants(client, theater_id, &inserted, &mut rng).await?;
    let ids: Vec<Uuid> = inserted.iter().map(|e| e.0).collect();
    // The kit of a main-stage performance, reserved for its busy time. Main-stage performances
    // never overlap one another, so no item is ever reserved beyond its quantity; items in
    // repair or written off cannot be reserved (shared::reservations).
    seeded.reservations = client
        .execute(
            "INSERT INTO event_reservations (id, theater_id, event_id, item_id, quantity, from_kit)
             SELECT gen_random_uuid(), $1, e.id, k.item_id, sum(k.quantity)::int, true
             FROM events e
             JOIN venues v ON v.id = e.venue_id AND v.kind = 'main_stage'
             JOIN performance_kit_items k ON k.theater_id = $1 AND k.performance_id = e.performance_id
             JOIN inventory_items i ON i.id = k.item_id AND i.deleted_at IS NULL
                                   AND i.status NOT IN ('in_repair', 'written_off')
             WHERE e.id = ANY($2) AND e.kind = 'performance' AND e.status <> 'cancelled'
             GROUP BY e.id, k.item_id, i.quantity
             HAVING sum(k.quantity) <= i.quantity
             ON CONFLICT DO NOTHING",
            &[&theater_id, &ids],
        )
        .await
        .context("reserving the kit of seeded performances")? as usize;
    Ok(seeded)
}

#[derive(Default)]
struct EventRows {
    ids: Vec<Uuid>,
    kinds: Vec<&'static str>,
    titles: Vec<String>,
    performances: Vec<Option<Uuid>>,
    venues: Vec<Uuid>,
    dates: Vec<NaiveDate>,
    starts: Vec<chrono::NaiveTime>,
    ends: Vec<chrono::NaiveTime>,
    setups: Vec<i32>,
    strikes: Vec<i32>,
    statuses: Vec<&'static str>,
}

/// Two to six people per event, by the kind of event: performers on stage and in rehearsals,
/// technicians at the technical ones, managers at meetings; each with an answer of their own.
async fn insert_participants(
    client: &impl GenericClient,
    theater_id: Uuid,
    events: &[(Uuid, String)],
    rng: &mut Rng,
) -> anyhow::Result<usize> {
    let rows = client
        .query(
            "SELECT u.id, coalesce(min(r.code), '')
             FROM users u
             LEFT JOIN user_roles ur ON ur.user_id = u.id
             LEFT JOIN roles r ON r.id = ur.role_id
             WHERE u.theater_id = $1 AND u.is_active
             GROUP BY u.id ORDER BY u.email",
            &[&theater_id],
        )
        .await?;
    let of = |codes: &[&str]| -> Vec<Uuid> {
        let some: Vec<Uuid> = rows
            .iter()
            .filter(|r| codes.contains(&r.get::<_, String>(1).as_str()))
            .map(|r| r.get(0))
            .collect();
        if some.is_empty() {
            rows.iter().map(|r| r.get(0)).collect()
        } else {
            some
        }
    };
    let performers = of(&["performer"]);
    let technicians = of(&["department_head", "tech_director"]);
    let managers = of(&["admin", "producer", "tech_director", "director"]);
    let (mut ids, mut event_ids, mut users, mut roles, mut answers) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (event, kind) in events {
        let (pool, role) = match kind.as_str() {
            "performance" | "rehearsal" | "dress_rehearsal" => (&performers, "performer"),
            "tech_rehearsal" | "maintenance" => (&technicians, "technician"),
            _ => (&managers, "manager"),
        };
        let mut taken = std::collections::HashSet::new();
        for _ in 0..rng.range(2, 6) {
            let user = *rng.pick(pool);
            if !taken.insert(user) {
                continue;
            }
            ids.push(Uuid::now_v7());
            event_ids.push(*event);
            users.push(user);
            roles.push(role);
            answers.push(*rng.pick(&[
                "confirmed",
                "confirmed",
                "confirmed",
                "invited",
                "tentative",
                "declined",
            ]));
        }
    }
    let mut written = 0;
    for start in (0..ids.len()).step_by(5000) {
        let end = (start + 5000).min(ids.len());
        written += client
            .execute(
                "INSERT INTO event_participants (id, theater_id, event_id, user_id, role, answer)
                 SELECT p.id, $1, p.event_id, p.user_id, p.role, p.answer
                 FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[])
                      AS p (id, event_id, user_id, role, answer)
                 ON CONFLICT DO NOTHING",
                &[
                    &theater_id,
                    &&ids[start..end],
                    &&event_ids[start..end],
                    &&users[start..end],
                    &&roles[start..end],
                    &&answers[start..end],
                ],
            )
            .await? as usize;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic() {
        let (mut a, mut b) = (Rng::new(5), Rng::new(5));
        let xs: Vec<u64> = (0..20).map(|_| a.next()).collect();
        let ys: Vec<u64> = (0..20).map(|_| b.next()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(6).next(), xs[0]);
    }

    #[test]
    fn generated_numbers_follow_the_inventory_pattern() {
        assert_eq!(number("props", 2025, 7), "PROPS-2025-00007");
        assert_eq!(number("hats", 2026, 123456), "HATS-2026-123456");
    }

    #[test]
    fn every_kind_has_a_seeded_or_demo_category_and_a_section() {
        let codes: Vec<&str> = [
            "props",
            "costumes",
            "scenery",
            "furniture",
            "equipment",
            "lighting",
            "sound",
            "other",
        ]
        .into_iter()
        .chain(SUBCATEGORIES.iter().map(|s| s.1))
        .collect();
        for kind in KINDS {
            assert!(codes.contains(&kind.category), "{}", kind.category);
            assert!(!kind.names.is_empty() && !kind.homes.is_empty());
            for home in kind.homes {
                let seeded = [
                    "main-warehouse",
                    "costume-room",
                    "props-room",
                    "stage",
                    "backstage",
                ];
                assert!(
                    seeded.contains(home) || SUBLOCATIONS.iter().any(|l| l.1 == *home),
                    "{home}"
                );
            }
        }
        assert_eq!(section_of("hats"), "costumes");
    }

    #[test]
    fn every_demo_document_has_a_version() {
        for d in DOCUMENTS {
            assert!(!d.versions.is_empty(), "{}", d.title);
        }
    }
}
