// Russian: the staff's language and the default locale.
export const ru = {
  app: { title: 'Театр', subtitle: 'закулисье', loading: 'Загрузка…', empty: 'Ничего не найдено', more: 'Показать ещё', retry: 'Повторить', save: 'Сохранить', cancel: 'Отмена', edit: 'Изменить', create: 'Создать', back: 'Назад', search: 'Поиск', all: 'Все', close: 'Закрыть', forbidden: 'Недостаточно прав для этого действия', error: 'Ошибка', language: 'Язык' },
  nav: { dashboard: 'Сегодня', inventory: 'Инвентарь', documents: 'Документы', schedule: 'Расписание', performances: 'Спектакли', admin: 'Администрирование', signOut: 'Выйти', password: 'Сменить пароль' },
  auth: { signIn: 'Вход', email: 'Эл. почта', password: 'Пароль', submit: 'Войти', register: 'Регистрация театра', registerSubmit: 'Зарегистрировать', theaterName: 'Название театра', firstName: 'Имя', lastName: 'Фамилия', haveAccount: 'Уже есть учётная запись? Войти', noAccount: 'Новый театр? Зарегистрироваться', currentPassword: 'Текущий пароль', newPassword: 'Новый пароль', changed: 'Пароль изменён' },
  dashboard: { title: 'Что требует внимания', overdue: 'Просроченные выдачи', inRepair: 'В ремонте', docsWaiting: 'Документы в обработке', today: 'События сегодня', week: 'События недели', readiness: 'Готовность паспортов (подготовка)', none: 'Нет' },
  inventory: { title: 'Инвентарь', new: 'Новый предмет', name: 'Название', number: 'Инв. номер', category: 'Категория', location: 'Место', status: 'Статус', condition: 'Состояние', quantity: 'Количество', description: 'Описание', tags: 'Метки', photos: 'Фото', history: 'История движений', actions: 'Действия', searchPlaceholder: 'Название, номер, метка…', due: 'Вернуть до', comment: 'Комментарий', toLocation: 'Куда', count: 'Показано', purchasePrice: 'Цена покупки', label: 'QR-этикетка' },
  status: { in_stock: 'На складе', reserved: 'Зарезервирован', in_use: 'Выдан', in_repair: 'В ремонте', on_tour: 'На гастролях', written_off: 'Списан' },
  condition: { new: 'Новый', good: 'Хорошее', fair: 'Удовлетворительное', poor: 'Плохое', broken: 'Сломан' },
  movement: { receipt: 'Поступление', transfer: 'Перемещение', reserve: 'Резерв', release: 'Снять резерв', issue: 'Выдать', return: 'Вернуть', repair_start: 'В ремонт', repair_end: 'Из ремонта', write_off: 'Списать' },
  movementLog: { receipt: 'Поступление', transfer: 'Перемещение', reserve: 'Резерв', release: 'Снятие резерва', issue: 'Выдача', return: 'Возврат', repair_start: 'Отправка в ремонт', repair_end: 'Возврат из ремонта', write_off: 'Списание' },
  documents: { title: 'Документы', new: 'Новый документ', docTitle: 'Название', category: 'Категория', upload: 'Загрузить файл', uploading: 'Загрузка', versions: 'Версии', download: 'Скачать', preview: 'Просмотр', restore: 'Сделать текущей', archive: 'В архив', current: 'текущая', searchPlaceholder: 'Полнотекстовый поиск…', size: 'Размер' },
  versionStatus: { pending: 'Ожидает загрузки', processing: 'Обрабатывается', ready: 'Готов', failed: 'Ошибка' },
  schedule: { title: 'Расписание', month: 'Месяц', week: 'Неделя', day: 'День', today: 'Сегодня', newEvent: 'Новое событие', eventTitle: 'Название', venue: 'Площадка', kind: 'Тип', start: 'Начало', end: 'Конец', clash: 'Площадка занята: пересекается с', book: 'Забронировать', ical: 'Ссылка iCal', copy: 'Скопировать' },
  eventKind: { performance: 'Спектакль', rehearsal: 'Репетиция', tech_rehearsal: 'Техническая репетиция', dress_rehearsal: 'Генеральная репетиция', meeting: 'Совещание', maintenance: 'Обслуживание', other: 'Другое' },
  performances: { uploadPoster: 'Загрузить афишу', title: 'Спектакли', status: 'Статус', director: 'Режиссёр', premiere: 'Премьера', passport: 'Технический паспорт', readiness: 'Готовность', poster: 'Афиша', kit: 'Комплект (реквизит и оборудование)', shortage: 'не хватает', sections: 'Разделы', noPoster: 'Афиши нет' },
  perfStatus: { preparation: 'Подготовка', in_repertoire: 'В репертуаре', paused: 'Приостановлен', archived: 'Архив' },
  admin: { users: 'Пользователи', roles: 'Роли', audit: 'Журнал изменений', permissions: 'Права', who: 'Кто', what: 'Действие', entity: 'Объект', when: 'Когда', diff: 'Было → стало', active: 'Активен' },
} as const;

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type Messages = Widen<typeof ru>;
