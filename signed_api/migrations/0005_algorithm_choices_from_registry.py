# The algorithm's choices come from the registry (signed_api.core.algorithms) and no longer
# appear in migrations, so registering an algorithm needs none. No change to the database.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('signed_api', '0004_store_entry'),
    ]

    operations = [
        migrations.AlterField(
            model_name='apikey',
            name='algorithm',
            field=models.CharField(max_length=32, verbose_name='algorithm'),
        ),
    ]
