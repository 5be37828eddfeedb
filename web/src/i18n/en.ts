import type { Messages } from './ru';

// English: the second locale.
export const en: Messages = {
  app: { title: 'Theatre', subtitle: 'backstage', loading: 'Loading…', empty: 'Nothing found', more: 'Show more', retry: 'Retry', save: 'Save', cancel: 'Cancel', edit: 'Edit', create: 'Create', back: 'Back', search: 'Search', all: 'All', close: 'Close', forbidden: 'You lack the permission for this action', error: 'Error', language: 'Language' },
  nav: { dashboard: 'Today', inventory: 'Inventory', documents: 'Documents', schedule: 'Schedule', performances: 'Performances', admin: 'Administration', signOut: 'Sign out', password: 'Change password' },
  auth: { signIn: 'Sign in', email: 'Email', password: 'Password', submit: 'Sign in', register: 'Register a theatre', registerSubmit: 'Register', theaterName: 'Theatre name', firstName: 'First name', lastName: 'Last name', haveAccount: 'Have an account? Sign in', noAccount: 'New theatre? Register', currentPassword: 'Current password', newPassword: 'New password', changed: 'Password changed' },
  dashboard: { title: 'Needs attention', overdue: 'Overdue issues', inRepair: 'In repair', docsWaiting: 'Documents processing', today: "Today's events", week: "This week's events", readiness: 'Passport readiness (in preparation)', none: 'None' },
  inventory: { scan: 'Scan a QR label', noCamera: 'This browser cannot read QR codes from the camera: type the number on the label.', title: 'Inventory', new: 'New item', name: 'Name', number: 'Inv. number', category: 'Category', location: 'Location', status: 'Status', condition: 'Condition', quantity: 'Quantity', description: 'Description', tags: 'Tags', photos: 'Photos', history: 'Movement history', actions: 'Actions', searchPlaceholder: 'Name, number, tag…', due: 'Due back', comment: 'Comment', toLocation: 'To', count: 'Shown', purchasePrice: 'Purchase price', label: 'QR label' },
  status: { in_stock: 'In stock', reserved: 'Reserved', in_use: 'Issued', in_repair: 'In repair', on_tour: 'On tour', written_off: 'Written off' },
  condition: { new: 'New', good: 'Good', fair: 'Fair', poor: 'Poor', broken: 'Broken' },
  movement: { receipt: 'Receipt', transfer: 'Transfer', reserve: 'Reserve', release: 'Release', issue: 'Issue', return: 'Return', repair_start: 'Send to repair', repair_end: 'Back from repair', write_off: 'Write off' },
  movementLog: { receipt: 'Receipt', transfer: 'Transfer', reserve: 'Reserved', release: 'Released', issue: 'Issued', return: 'Returned', repair_start: 'Sent to repair', repair_end: 'Back from repair', write_off: 'Written off' },
  documents: { title: 'Documents', new: 'New document', docTitle: 'Title', category: 'Category', upload: 'Upload a file', uploading: 'Uploading', versions: 'Versions', download: 'Download', preview: 'Preview', restore: 'Make current', archive: 'Archive', current: 'current', searchPlaceholder: 'Full-text search…', size: 'Size' },
  versionStatus: { pending: 'Awaiting upload', processing: 'Processing', ready: 'Ready', failed: 'Failed' },
  schedule: { title: 'Schedule', month: 'Month', week: 'Week', day: 'Day', today: 'Today', newEvent: 'New event', eventTitle: 'Title', venue: 'Venue', kind: 'Kind', start: 'Start', end: 'End', clash: 'The venue is taken: clashes with', book: 'Book', ical: 'iCal link', copy: 'Copy' },
  eventKind: { performance: 'Show', rehearsal: 'Rehearsal', tech_rehearsal: 'Tech rehearsal', dress_rehearsal: 'Dress rehearsal', meeting: 'Meeting', maintenance: 'Maintenance', other: 'Other' },
  performances: { uploadPoster: 'Upload a poster', title: 'Performances', status: 'Status', director: 'Director', premiere: 'Premiere', passport: 'Technical passport', readiness: 'Readiness', poster: 'Poster', kit: 'Kit list', shortage: 'short', sections: 'Sections', noPoster: 'No poster' },
  perfStatus: { preparation: 'Preparation', in_repertoire: 'In repertoire', paused: 'Paused', archived: 'Archived' },
  admin: { newUser: 'New user', position: 'Position', users: 'Users', roles: 'Roles', audit: 'Audit log', permissions: 'Permissions', who: 'Who', what: 'Action', entity: 'Entity', when: 'When', diff: 'Before → after', active: 'Active' },
};
