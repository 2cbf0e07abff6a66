// Your password: any console user changes their own password; their other sessions end.
import { api } from './api.js';
import { field, formErrorLine, h, onSubmit, pageHeader, section, toast } from './ui.js';

export function renderAccount(root, { user, signal }) {
  const current = h('input', { id: 'current-password', name: 'current_password', type: 'password', required: true, autocomplete: 'current-password' });
  const next = h('input', { id: 'new-password', name: 'new_password', type: 'password', required: true, minlength: 10, maxlength: 200, autocomplete: 'new-password' });
  const again = h('input', { id: 'confirm-password', name: 'confirm_password', type: 'password', required: true, autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'change-password' }, 'Change password');
  const done = h('p', { class: 'alert alert-ok', role: 'status', hidden: true, 'data-testid': 'password-changed' });
  const form = h(
    'form',
    { class: 'stack form-narrow', 'aria-label': 'Change your password' },
    field('Current password', current),
    field('New password', next, '10 to 200 characters.'),
    field('New password again', again),
    formErrorLine(),
    h('div', null, submit),
  );
  onSubmit(
    form,
    async () => {
      done.hidden = true;
      if (next.value !== again.value) {
        const err = new Error('The two new passwords differ.');
        err.field = 'confirm_password';
        throw err;
      }
      const r = await api('/api/me/password', {
        method: 'POST',
        body: { current_password: current.value, new_password: next.value },
        signal,
      });
      form.reset();
      const ended = r.other_sessions_ended;
      done.textContent = `Your password is changed.${ended ? ` ${ended} other session${ended === 1 ? '' : 's'} ended.` : ''}`;
      done.hidden = false;
      toast('Password changed.');
    },
    { busyText: 'Changing…' },
  );
  root.append(
    pageHeader('Your password'),
    h('p', { class: 'lead' }, `Signed in as ${user.email}. Changing your password signs you out everywhere else.`),
    section('Change password', done, form),
  );
}
