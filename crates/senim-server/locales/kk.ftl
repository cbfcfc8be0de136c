## The pages' words in English. Every message here must exist in kk.ftl and
## ru.ftl with the same arguments (a unit test checks).

site-name = Register of AI systems
skip-to-content = Skip to main content
language-switch = Language
nav-label = Main sections
nav-home = Home
nav-register = Register of AI systems
nav-library = Data library
nav-statistics = Statistics
nav-report = Report a problem
nav-self-check = Check a system's risk
nav-audit-log = Public audit log
nav-decisions = Decisions and sanctions
nav-trusted-lists = Trusted lists
nav-api = API for developers
sign-in = Sign in
sign-out = Sign out
breadcrumbs = You are here
footer-text = Senim is the public register of artificial intelligence systems under the Law of the Republic of Kazakhstan “On Artificial Intelligence”. Every change is recorded in a public audit log that anyone can verify.
back-home = Go to the home page
search = Search
yes = Yes
no = No
previous = Previous
next = Next
pagination = Pages of results
page-of = Page { $page } of { $pages }
page-label = Page
updated = updated
export = Download this list
problems-title = There is a problem
problem-unknown-value = { $field }: “{ $value }” is not a value we know; it was left out.

## Errors
error-status = Error code
error-internal = Sorry, something went wrong on our side. Please try again later.
error-not-found = Page not found
error-forbidden = You do not have permission to see this
error-unauthenticated = Sign in to continue
error-invalid = Some of the details are not right
error-conflict = Someone changed this in the meantime
error-csrf = This form has expired. Go back, reload the page and try again.
error-payload-too-large = The form is too large
error-rate-limited = Too many attempts. Wait a few minutes and try again.
error-malformed-request = The request could not be read
error-unavailable = The service is not available right now
error-precondition-required = Reload the page and try again

## Home
home-title = Artificial intelligence systems in Kazakhstan
home-lead = Find out which AI systems are used in Kazakhstan, who is responsible for them, how risky they are and what the authority decided about them.
home-search-label = Search the register
home-search-hint = For example the name of a system, an organisation or a sector
home-figures = The register today
home-total = AI systems
home-registered = Registered
home-high = High-risk
home-ways = What you can do
home-register-text = Search every AI system, with its documentation, risk level and decisions.
home-report-text = An AI system decided about you, or something went wrong? Tell the authority.
home-self-check-text = Answer a few questions about a system and see its risk level under each rule set.
home-library-text = Datasets of the National AI Platform for training and testing AI.
home-statistics-text = Systems by sector and risk, review times, incidents per month.
home-audit-log-text = How anyone can check that no record was changed in secret.

## Register
register-title = Register of AI systems
register-search-label = Words to search for
register-count = { $count ->
    [one] { $count } AI system
   *[other] { $count } AI systems
}
register-empty = No AI system matches. Try fewer words or clear the filters.
facets-title = Filters
facet-sector = Sector
facet-risk = Risk level
facet-status = Status
facet-org = Organisation
sort-label = Sort by
sort-updated = Recently changed
sort-name = Name
sort-number = Registry number
sort-risk = Risk level, highest first
apply-filters = Apply filters
clear-filters = Clear all filters
registry-number = Registry number
not-registered = Not registered

## Risk levels and statuses
risk-prohibited = Prohibited
risk-high = High risk
risk-medium = Medium risk
risk-minimal = Minimal risk
risk-none = Not classified
status-draft = Draft
status-submitted = Submitted
status-in-expert-review = In expert review
status-information-requested = Information requested
status-recommended = Recommended
status-registered = Registered
status-refused = Refused
status-suspended = Suspended
status-revoked = Revoked
status-withdrawn = Withdrawn

## Sectors
sector-healthcare = Healthcare
sector-education = Education
sector-justice = Justice
sector-law-enforcement = Law enforcement
sector-migration-border = Migration and borders
sector-employment = Employment
sector-essential-services = Essential services
sector-finance = Finance
sector-critical-infrastructure = Critical infrastructure
sector-urban-infrastructure = Urban infrastructure
sector-transport = Transport
sector-public-administration = Public administration
sector-elections = Elections
sector-media = Media
sector-defence-security = Defence and security
sector-consumer = Consumer products
sector-industry = Industry
sector-agriculture = Agriculture
sector-other = Other

## Documentation items
doc-purpose = Purpose
doc-intended-users = Intended users
doc-model-type = Type of model
doc-development-method = How it was built
doc-limitations = Limitations
doc-known-failure-modes = Known failure modes
doc-training-data = Training data
doc-validation-data = Validation data
doc-testing-data = Testing data
doc-human-oversight = Human oversight
doc-performance = Accuracy and performance
doc-deployment-context = Where it is used
doc-user-disclosure = What people are told
doc-rights-contact = Where to exercise your rights

## A system's page
system-caption = AI system
system-facts = About this system
system-owner = Responsible organisation
system-holder = Operated by
system-version = Version
system-id = Identifier
system-documentation = Public documentation
system-no-documentation = The developer has not published documentation yet.
system-json = This record as JSON
withheld = Withheld from the public (confidential).
classification-title = Risk classification
classification-under = Under the rule set { $pack }, version { $version }.
classification-registration = Registration required
classification-review = Expert review required
classification-why = Why
classification-obligations = What the developer must do
citation = Source
timeline-title = History
timeline-receipt = log entry { $index }

## Events on timelines and in the log
event-system-created = Added to the register
event-system-version-added = New version
event-system-reclassified = Classified again under new rules
event-system-withdrawn = Withdrawn by its developer
event-system-review-due = Annual review due
event-registration-submitted = Submitted for registration
event-registration-resubmitted = Submitted again
event-registration-reviewers-assigned = Reviewers assigned
event-registration-review-required = Expert review required
event-registration-conflict-declared = A reviewer declared a conflict of interest
event-registration-no-conflict-declared = A reviewer declared no conflict of interest
event-registration-checked = A reviewer checked the dossier
event-registration-information-requested = More information requested
event-registration-recommended = A reviewer made a recommendation
event-registration-registered = Registered
event-registration-refused = Registration refused
event-registration-suspended = Registration suspended
event-registration-reinstated = Registration reinstated
event-registration-revoked = Registration revoked
event-registration-withdrawn = Registration withdrawn
event-report-received = Report received
event-report-triaged = Report assessed
event-report-forwarded = Report sent to the developer
event-report-responded = The developer responded
event-report-escalated = Report escalated to an investigation
event-report-merged = Report joined with another
event-report-closed = Report closed
event-audit-opened = Audit opened
event-audit-finding-recorded = Audit finding recorded
event-audit-finding-answered = Audit finding answered
event-audit-closed = Audit closed
event-investigation-opened = Investigation opened
event-investigation-violation-decided = Violation decided
event-investigation-appealed = Decision appealed
event-investigation-appeal-decided = Appeal decided
event-investigation-final = Decision final
event-investigation-closed = Investigation closed
event-trusted-list-applied = Applied for a trusted list
event-trusted-list-deficient = Application incomplete
event-trusted-list-resubmitted = Application submitted again
event-trusted-list-listed = Added to a trusted list
event-trusted-list-rejected = Application rejected
event-trusted-list-delisted = Removed from a trusted list
event-trusted-list-published = Trusted list published
event-data-access-requested = Data access requested
event-data-access-granted = Data access granted
event-data-access-refused = Data access refused
event-data-access-revoked = Data access revoked
event-account-created = Account created
event-account-updated = Account changed
event-account-withdrawn = Account closed
event-organisation-created = Organisation added
event-organisation-updated = Organisation changed
event-organisation-withdrawn = Organisation withdrawn
event-dataset-created = Dataset added to the library
event-dataset-updated = Dataset changed
event-resource-added = File added to a dataset
event-reviewer-set = Expert reviewer profile set
event-rulepack-installed = Rule set installed
event-rulepack-published = Rule set published
event-token-created = API token created
event-token-revoked = API token revoked

## Desks
desk-developer = My systems
desk-reviewer = Review queue
desk-supervisor = Supervision
desk-auditor = Audits
desk-steward = Data library desk

## Signing in
login-lead = Developers, experts, the authority's staff, auditors and data stewards sign in here. Citizens do not need an account.
login-email = E-mail address
login-password = Password
login-email-missing = Enter your e-mail address
login-password-missing = Enter your password
login-wrong = The e-mail address or the password is not right
error-prefix = Error:

## The audit log
log-title = The public audit log
log-lead = Every change to the register (a new system, a version, a review step, a decision) is written to a public log that can only grow. Anyone can check that nothing was changed or removed in secret.
log-how-title = How it works
log-how-1 = Each change becomes a numbered entry. Private details are not in the entry, only a fingerprint of them.
log-how-2 = The entries form a Merkle tree. Its fingerprint (the root) is signed by the authority in a checkpoint every time the log grows.
log-how-3 = With an entry's receipt, anyone can prove the entry is in the log, and that later checkpoints still contain it.
log-private = Personal data of people who report problems never enters the log.
log-checkpoint-title = The current checkpoint
log-size = Entries in the log
log-root = Root hash
log-key = Verifier key
log-signed-note = The signed checkpoint
log-verify-title = Check the whole log yourself
log-verify-text = The senim command-line program downloads the log, recomputes every hash, checks the signature and remembers the checkpoint, so that next time it can prove the log only grew:
log-formats = The log is published in the C2SP tlog-tiles format, readable by any tool for that format:
log-find-title = Find an entry
log-find-label = Entry number
log-find-hint = From 0 to { $last }
log-find-button = Show
log-newest = Newest entries
log-entry-title = Log entry { $index }
log-entry-included = This entry is in the log
log-entry-included-text = The server checked that the entry is included in the signed checkpoint of { $size } entries.
log-entry-not-verified = The inclusion proof did not match the checkpoint. Please report this.
log-browser-needs-js = Your browser can check the proof itself when JavaScript is on; the downloadable receipt can be checked with the senim program.
log-browser-ok = Your browser recomputed the hashes: the entry is included in the checkpoint shown below.
log-browser-bad = Your browser recomputed the hashes and they do NOT match the checkpoint.
log-browser-unsupported = Your browser cannot compute SHA-256 here, so it could not check the proof.
log-download-receipt = Download the receipt
log-receipt-how = Keep the receipt. To check it later against the log, without trusting this page:
log-entry-content = What the entry says
log-proof-title = The proof
log-leaf = Entry hash
