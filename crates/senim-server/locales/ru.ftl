## The pages' words in Russian. Every message here must exist in en.ftl and
## kk.ftl with the same arguments (a unit test checks).

site-name = Реестр систем искусственного интеллекта
skip-to-content = Перейти к основному содержанию
language-switch = Язык
nav-label = Основные разделы
nav-home = Главная
nav-register = Реестр систем искусственного интеллекта
nav-library = Библиотека данных
nav-statistics = Статистика
nav-report = Сообщить о проблеме
nav-self-check = Проверить риск системы
nav-audit-log = Открытый журнал аудита
nav-decisions = Решения и санкции
nav-trusted-lists = Доверенные списки
nav-api = API для разработчиков
sign-in = Войти
sign-out = Выйти
breadcrumbs = Вы здесь
footer-text = Senim — открытый реестр систем искусственного интеллекта, который ведётся в соответствии с Законом Республики Казахстан «Об искусственном интеллекте». Каждое изменение записывается в открытый журнал аудита, который может проверить любой.
back-home = Перейти на главную страницу
search = Найти
yes = Да
no = Нет
previous = Предыдущая
next = Следующая
pagination = Страницы результатов
page-of = Страница { $page } из { $pages }
page-label = Страница
updated = обновлено
export = Скачать этот список
problems-title = Обнаружена ошибка
problem-unknown-value = { $field }: значение «{ $value }» нам неизвестно, поэтому оно не учтено.

## Errors
error-status = Код ошибки
error-internal = Извините, у нас что-то пошло не так. Попробуйте позже.
error-not-found = Страница не найдена
error-forbidden = У Вас нет прав на просмотр этой страницы
error-unauthenticated = Войдите, чтобы продолжить
error-invalid = Некоторые данные указаны неверно
error-conflict = За это время кто-то уже изменил эти данные
error-csrf = Срок действия формы истёк. Вернитесь назад, обновите страницу и попробуйте снова.
error-payload-too-large = Форма слишком большая
error-rate-limited = Слишком много попыток. Подождите несколько минут и попробуйте снова.
error-malformed-request = Не удалось прочитать запрос
error-unavailable = Сервис сейчас недоступен
error-precondition-required = Обновите страницу и попробуйте снова

## Home
home-title = Системы искусственного интеллекта в Казахстане
home-lead = Узнайте, какие системы искусственного интеллекта используются в Казахстане, кто за них отвечает, насколько они рискованны и какие решения по ним принял уполномоченный орган.
home-search-label = Поиск по реестру
home-search-hint = Например, название системы, организации или отрасли
home-figures = Реестр сегодня
home-total = Системы искусственного интеллекта
home-registered = Зарегистрировано
home-high = С высоким риском
home-ways = Что Вы можете сделать
home-register-text = Ищите среди всех систем искусственного интеллекта — с документацией, уровнем риска и решениями.
home-report-text = Система искусственного интеллекта приняла решение в отношении Вас или что-то пошло не так? Сообщите уполномоченному органу.
home-self-check-text = Ответьте на несколько вопросов о системе и узнайте её уровень риска по каждому набору правил.
home-library-text = Наборы данных Национальной платформы искусственного интеллекта для обучения и тестирования систем ИИ.
home-statistics-text = Системы по отраслям и уровням риска, сроки рассмотрения, инциденты по месяцам.
home-audit-log-text = Как любой может убедиться, что ни одна запись не была тайно изменена.

## Register
register-title = Реестр систем искусственного интеллекта
register-search-label = Слова для поиска
register-count = { $count ->
    [one] { $count } система искусственного интеллекта
    [few] { $count } системы искусственного интеллекта
    [many] { $count } систем искусственного интеллекта
   *[other] { $count } системы искусственного интеллекта
}
register-empty = Подходящих систем искусственного интеллекта нет. Попробуйте сократить запрос или сбросить фильтры.
facets-title = Фильтры
facet-sector = Отрасль
facet-risk = Уровень риска
facet-status = Статус
facet-org = Организация
sort-label = Сортировать
sort-updated = Недавно изменённые
sort-name = Название
sort-number = Номер в реестре
sort-risk = Уровень риска, сначала высокий
apply-filters = Применить фильтры
clear-filters = Сбросить все фильтры
registry-number = Номер в реестре
not-registered = Не зарегистрирована

## Risk levels and statuses
risk-prohibited = Запрещённый
risk-high = Высокий риск
risk-medium = Средний риск
risk-minimal = Минимальный риск
risk-none = Без классификации
status-draft = Черновик
status-submitted = Подана на регистрацию
status-in-expert-review = На экспертизе
status-information-requested = Запрошены сведения
status-recommended = Рекомендована к регистрации
status-registered = Зарегистрирована
status-refused = Отказано в регистрации
status-suspended = Приостановлена
status-revoked = Аннулирована
status-withdrawn = Отозвана

## Sectors
sector-healthcare = Здравоохранение
sector-education = Образование
sector-justice = Правосудие
sector-law-enforcement = Правоохранительная деятельность
sector-migration-border = Миграция и границы
sector-employment = Занятость
sector-essential-services = Жизненно важные услуги
sector-finance = Финансы
sector-critical-infrastructure = Критически важная инфраструктура
sector-urban-infrastructure = Городская инфраструктура
sector-transport = Транспорт
sector-public-administration = Государственное управление
sector-elections = Выборы
sector-media = Медиа
sector-defence-security = Оборона и безопасность
sector-consumer = Потребительские товары
sector-industry = Промышленность
sector-agriculture = Сельское хозяйство
sector-other = Другое

## Documentation items
doc-purpose = Назначение
doc-intended-users = Для кого предназначена
doc-model-type = Тип модели
doc-development-method = Как создана
doc-limitations = Ограничения
doc-known-failure-modes = Известные сбои и ошибки
doc-training-data = Данные для обучения
doc-validation-data = Данные для валидации
doc-testing-data = Данные для тестирования
doc-human-oversight = Контроль со стороны человека
doc-performance = Точность и качество работы
doc-deployment-context = Где применяется
doc-user-disclosure = Что сообщается людям
doc-rights-contact = Куда обратиться для защиты своих прав

## A system's page
system-caption = Система искусственного интеллекта
system-facts = Об этой системе
system-owner = Ответственная организация
system-holder = Оператор системы
system-version = Версия
system-id = Идентификатор
system-documentation = Открытая документация
system-no-documentation = Разработчик ещё не опубликовал документацию.
system-json = Эта запись в формате JSON
withheld = Не раскрывается (конфиденциально).
classification-title = Классификация по уровню риска
classification-under = По набору правил { $pack }, версия { $version }.
classification-registration = Требуется регистрация
classification-review = Требуется экспертиза
classification-why = Почему
classification-obligations = Что должен сделать разработчик
citation = Источник
timeline-title = История
timeline-receipt = запись журнала № { $index }

## Events on timelines and in the log
event-system-created = Добавлена в реестр
event-system-version-added = Новая версия
event-system-reclassified = Повторно классифицирована по новым правилам
event-system-withdrawn = Отозвана разработчиком
event-system-review-due = Наступил срок ежегодного пересмотра
event-registration-submitted = Подана заявка на регистрацию
event-registration-resubmitted = Заявка подана повторно
event-registration-reviewers-assigned = Назначены эксперты
event-registration-review-required = Требуется экспертиза
event-registration-conflict-declared = Эксперт заявил о конфликте интересов
event-registration-no-conflict-declared = Эксперт заявил об отсутствии конфликта интересов
event-registration-checked = Эксперт проверил документы
event-registration-information-requested = Запрошены дополнительные сведения
event-registration-recommended = Эксперт дал рекомендацию
event-registration-registered = Зарегистрирована
event-registration-refused = Отказано в регистрации
event-registration-suspended = Регистрация приостановлена
event-registration-reinstated = Регистрация возобновлена
event-registration-revoked = Регистрация аннулирована
event-registration-withdrawn = Заявка на регистрацию отозвана
event-report-received = Сообщение получено
event-report-triaged = Проведена первичная оценка сообщения
event-report-forwarded = Сообщение направлено разработчику
event-report-responded = Разработчик ответил
event-report-escalated = По сообщению начато расследование
event-report-merged = Сообщение объединено с другим
event-report-closed = Сообщение закрыто
event-audit-opened = Аудит начат
event-audit-finding-recorded = Зафиксировано замечание аудита
event-audit-finding-answered = Дан ответ на замечание аудита
event-audit-closed = Аудит завершён
event-investigation-opened = Начато расследование
event-investigation-violation-decided = Вынесено решение о нарушении
event-investigation-appealed = Решение обжаловано
event-investigation-appeal-decided = Вынесено решение по жалобе
event-investigation-final = Решение вступило в силу
event-investigation-closed = Расследование завершено
event-trusted-list-applied = Подана заявка на включение в доверенный список
event-trusted-list-deficient = Заявка неполная
event-trusted-list-resubmitted = Заявка подана повторно
event-trusted-list-listed = Включена в доверенный список
event-trusted-list-rejected = Заявка отклонена
event-trusted-list-delisted = Исключена из доверенного списка
event-trusted-list-published = Доверенный список опубликован
event-data-access-requested = Запрошен доступ к данным
event-data-access-granted = Доступ к данным предоставлен
event-data-access-refused = В доступе к данным отказано
event-data-access-revoked = Доступ к данным отозван
event-account-created = Учётная запись создана
event-account-updated = Учётная запись изменена
event-account-withdrawn = Учётная запись закрыта
event-organisation-created = Организация добавлена
event-organisation-updated = Данные организации изменены
event-organisation-withdrawn = Организация исключена
event-dataset-created = Набор данных добавлен в библиотеку
event-dataset-updated = Набор данных изменён
event-resource-added = В набор данных добавлен файл
event-reviewer-set = Профиль эксперта сохранён
event-rulepack-installed = Набор правил установлен
event-rulepack-published = Набор правил опубликован
event-token-created = Создан API-токен
event-token-revoked = API-токен отозван

## Desks
desk-developer = Мои системы
desk-reviewer = Очередь экспертизы
desk-supervisor = Надзор
desk-auditor = Аудиты
desk-steward = Управление библиотекой данных

## Signing in
login-lead = Здесь входят в систему разработчики, эксперты, сотрудники уполномоченного органа, аудиторы и кураторы данных. Гражданам учётная запись не нужна.
login-email = Адрес электронной почты
login-password = Пароль
login-email-missing = Введите адрес электронной почты
login-password-missing = Введите пароль
login-wrong = Неверный адрес электронной почты или пароль
error-prefix = Ошибка:

## The audit log
log-title = Открытый журнал аудита
log-lead = Каждое изменение в реестре (новая система, версия, этап экспертизы, решение) записывается в открытый журнал, который может только пополняться. Любой может проверить, что ничего не было тайно изменено или удалено.
log-how-title = Как это работает
log-how-1 = Каждое изменение становится пронумерованной записью. Личные сведения в запись не попадают — только их отпечаток (хеш).
log-how-2 = Записи образуют дерево Merkle. Каждый раз, когда журнал пополняется, уполномоченный орган подписывает его отпечаток (корень) в контрольной точке.
log-how-3 = С квитанцией записи любой может доказать, что запись есть в журнале и что последующие контрольные точки по-прежнему её содержат.
log-private = Персональные данные людей, сообщающих о проблемах, никогда не попадают в журнал.
log-checkpoint-title = Текущая контрольная точка
log-size = Записей в журнале
log-root = Корневой хеш
log-key = Ключ для проверки
log-signed-note = Подписанная контрольная точка
log-verify-title = Проверьте весь журнал сами
log-verify-text = Программа командной строки senim скачивает журнал, заново вычисляет каждый хеш, проверяет подпись и запоминает контрольную точку, чтобы в следующий раз доказать, что журнал только пополнялся:
log-formats = Журнал публикуется в формате C2SP tlog-tiles, его может прочитать любой инструмент для этого формата:
log-find-title = Найти запись
log-find-label = Номер записи
log-find-hint = От 0 до { $last }
log-find-button = Показать
log-newest = Последние записи
log-entry-title = Запись журнала № { $index }
log-entry-included = Эта запись есть в журнале
log-entry-included-text = { $size ->
    [one] Сервер проверил, что запись включена в подписанную контрольную точку из { $size } записи.
   *[other] Сервер проверил, что запись включена в подписанную контрольную точку из { $size } записей.
}
log-entry-not-verified = Доказательство включения не совпало с контрольной точкой. Пожалуйста, сообщите об этом.
log-browser-needs-js = Если включён JavaScript, Ваш браузер может сам проверить доказательство; скачанную квитанцию можно проверить программой senim.
log-browser-ok = Ваш браузер заново вычислил хеши: запись включена в контрольную точку, показанную ниже.
log-browser-bad = Ваш браузер заново вычислил хеши, и они НЕ совпадают с контрольной точкой.
log-browser-unsupported = Ваш браузер не может вычислить здесь SHA-256, поэтому проверить доказательство не удалось.
log-download-receipt = Скачать квитанцию
log-receipt-how = Сохраните квитанцию. Чтобы позже проверить её по журналу, не доверяя этой странице:
log-entry-content = Содержание записи
log-proof-title = Доказательство
log-leaf = Хеш записи

## Statistics
stats-title = Статистика
stats-lead = Показатели реестра обновляются при каждом изменении.
stats-show-table = Показать данные в виде таблицы
chart-empty = Данных пока нет
stats-by-sector = Системы искусственного интеллекта по отраслям и уровням риска
stats-by-sector-desc = Сколько систем искусственного интеллекта каждого уровня риска в каждой отрасли. Система, которая применяется в нескольких отраслях, учитывается в каждой из них.
stats-by-status = Системы искусственного интеллекта по статусам
stats-by-status-desc = Сколько систем искусственного интеллекта находится на каждом этапе регистрации.
stats-review-days = Сколько длится регистрация
stats-review-days-desc = Медианное число дней от подачи заявки до решения уполномоченного органа по месяцам принятия решения за последние 12 месяцев.
stats-incidents = Сообщения об инцидентах по месяцам
stats-incidents-desc = Инциденты с системами искусственного интеллекта, о которых сообщили уполномоченному органу, по месяцам за последние 12 месяцев.
stats-complaints = Жалобы по месяцам
stats-complaints-desc = Жалобы на решения систем искусственного интеллекта, полученные за каждый месяц, за последние 12 месяцев.
stats-month = Месяц
stats-days = Дни
stats-reports = Сообщения
stats-systems = Системы искусственного интеллекта

## Decisions and trusted lists
print = Распечатать
decisions-title = Решения о нарушениях и санкциях
decisions-lead = Уполномоченный орган публикует каждое решение о нарушении законодательства об искусственном интеллекте, назначенную санкцию и результат обжалования, если решение обжаловалось.
decisions-empty = Решений пока не опубликовано.
decision-caption = Решение уполномоченного органа
decision-title = Решение № { $number }
decision-number = Номер
decision-date = Дата решения
decision-system = Система искусственного интеллекта
decision-violation = Нарушение
decision-sanction = Санкция
decision-reasons = Основания
decision-state = Стадия
decision-appeal = Обжалование
decision-original = первоначальное решение
decision-receipts = Записи в открытом журнале аудита
decision-state-decided = Принято, может быть обжаловано
decision-state-appealed = Обжалуется
decision-state-final = Вступило в силу
decision-state-closed = Закрыто
sanction-fine = Штраф
sanction-suspension = Приостановление работы системы
sanction-ban = Запрет системы
sanction-fine-amount = Штраф в размере { $mci } МРП ({ $kzt } тенге)
sanction-fine-mci = Штраф в размере { $mci } МРП
appeal-uphold = Решение оставлено без изменения
appeal-change = Санкция изменена
appeal-overturn = Решение отменено
lists-title = Доверенные списки
lists-lead = Зарегистрированные системы искусственного интеллекта, которые прошли аудит и включены в доверенный список своей отрасли.
lists-empty = Доверенных списков пока не опубликовано.
lists-since = Дата включения
