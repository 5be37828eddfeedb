import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useSession } from '../session/store';
import { Gate } from './Gate';

const user = { id: 'u', email: 'props@demo.theatre', first_name: 'Анна', last_name: 'Реквизитова' };
const shown = () => screen.queryByText('изменить дерево') !== null;
const tree = () => render(<Gate need="inventory:edit" wholeInventory>изменить дерево</Gate>);

describe('Gate', () => {
  afterEach(() => {
    cleanup();
    useSession.getState().clear();
  });

  it('needs the permission', () => {
    useSession.getState().setProfile(user, ['inventory:view'], null, null);
    tree();
    expect(shown()).toBe(false);
  });

  it('offers tree changes to a user whose inventory is the whole theatre', () => {
    useSession.getState().setProfile(user, ['inventory:edit'], null, null);
    tree();
    expect(shown()).toBe(true);
  });

  it('hides tree changes from a department head, who may still edit items', () => {
    useSession.getState().setProfile(user, ['inventory:edit'], null, ['department-props']);
    tree();
    expect(shown()).toBe(false);
    cleanup();
    render(<Gate need="inventory:edit">изменить предмет</Gate>);
    expect(screen.queryByText('изменить предмет')).not.toBeNull();
  });
});
